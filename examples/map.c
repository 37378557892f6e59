/* map(f, tree): applies procedure f to every entry of tree. The result is the Tree
 * [Strict(f(e0)), Strict(f(e1)), ...] of Application thunks: whoever evaluates it gets the Tree of
 * results, computed in parallel; map itself runs no f and reads no entry's contents. */
#include "scratch.h"

fixnet_handle _fixnet_apply(fixnet_handle encode) {
  const fixnet_handle limits = fixnet_tree_entry(encode, FIXNET_ENCODE_LIMITS);
  const fixnet_handle f = fixnet_arg(encode, 0);
  const fixnet_handle tree = fixnet_arg(encode, 1);
  if (!fixnet_is_tree(tree)) FIXNET_FAIL("map: the second argument must be a Tree");
  const uint64_t n = fixnet_size(tree);
  fixnet_handle* results = scratch(n * sizeof(fixnet_handle));
  for (uint64_t i = 0; i < n; ++i) {
    fixnet_handle call[3] = {limits, f, fixnet_tree_entry(tree, i)};
    results[i] = fixnet_strict(fixnet_application(fixnet_tree_create(call, 3)));
  }
  return fixnet_tree_create(results, (uint32_t)n);
}
