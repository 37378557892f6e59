/* curry: partial application through closures. The procedure entry of the Application is a closure
 * Tree [curry, f, arity (u64), captured...]. Applied to more arguments, curry returns a bigger closure
 * (a value) while fewer than `arity` arguments are known, and the Application
 * f(captured..., arguments...) once all are:
 *
 *   add2 = [curry, add, 2]      Application([L, add2, 3])          = [curry, add, 2, 3]
 *                               Application([L, [curry, add, 2, 3], 4]) → add(3, 4) = 7       */
#include <fixnet/guest.h>

#define MAX_ENTRIES 256

static fixnet_handle entries[MAX_ENTRIES];

fixnet_handle _fixnet_apply(fixnet_handle encode) {
  const fixnet_handle closure = fixnet_tree_entry(encode, FIXNET_ENCODE_PROCEDURE);
  if (!fixnet_is_tree(closure) || fixnet_size(closure) < 3)
    FIXNET_FAIL("curry: the procedure must be a closure [curry, f, arity, captured...]");
  const uint64_t captured = fixnet_size(closure) - 3;
  const uint64_t given = fixnet_arg_count(encode);
  const uint64_t arity = fixnet_blob_u64(fixnet_tree_entry(closure, 2));
  if (captured + given + 3 > MAX_ENTRIES) FIXNET_FAIL("curry: too many arguments");

  uint32_t n = 0;
  if (captured + given < arity) { /* not yet: the closure, with these arguments captured too */
    for (uint64_t i = 0; i < captured + 3; ++i) entries[n++] = fixnet_tree_entry(closure, i);
  } else { /* all known: f(captured..., arguments...) under the same limits */
    entries[n++] = fixnet_tree_entry(encode, FIXNET_ENCODE_LIMITS);
    entries[n++] = fixnet_tree_entry(closure, 1);
    for (uint64_t i = 0; i < captured; ++i) entries[n++] = fixnet_tree_entry(closure, 3 + i);
  }
  for (uint64_t i = 0; i < given; ++i) entries[n++] = fixnet_arg(encode, i);
  const fixnet_handle tree = fixnet_tree_create(entries, n);
  return captured + given < arity ? tree : fixnet_application(tree);
}
