/* forward(f, data, more...): f(data, more...), passing on data that this procedure never reads. data
 * arrives as a Ref (a Shallow encode: evaluated, but not loaded for this invocation); the Application it
 * returns gets Strict(Identification(data)) in its place, so f — and only f — sees the contents.
 * A dispatcher or a scheduler written this way routes data by Name without touching its bytes. */
#include <fixnet/guest.h>

#define MAX_ENTRIES 64

fixnet_handle _fixnet_apply(fixnet_handle encode) {
  static fixnet_handle call[MAX_ENTRIES];
  const uint64_t args = fixnet_arg_count(encode);
  if (args < 2 || args + 1 > MAX_ENTRIES) FIXNET_FAIL("forward: expected (f, data, more...)");
  call[0] = fixnet_tree_entry(encode, FIXNET_ENCODE_LIMITS);
  call[1] = fixnet_arg(encode, 0);
  call[2] = fixnet_strict(fixnet_identification(fixnet_arg(encode, 1)));
  for (uint64_t i = 2; i < args; ++i) call[i + 1] = fixnet_arg(encode, i);
  return fixnet_application(fixnet_tree_create(call, (uint32_t)(args + 1)));
}
