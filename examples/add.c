/* add: the sum of its arguments, each an unsigned little-endian integer of at most 8 bytes. The result
 * is as wide as the widest argument and wraps around: add(u8 200, u8 100) = u8 44, and on u64s it is
 * the 64-bit sum. No memory is touched: every value travels through the guest API's integer calls. */
#include <fixnet/guest.h>

fixnet_handle _fixnet_apply(fixnet_handle encode) {
  const uint64_t count = fixnet_arg_count(encode);
  uint64_t sum = 0, width = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const fixnet_handle arg = fixnet_arg(encode, i);
    const uint64_t size = fixnet_size(arg);
    if (size > 8) FIXNET_FAIL("add: every argument must be an integer of at most 8 bytes");
    if (size > width) width = size;
    sum += fixnet_blob_u64(arg);
  }
  return fixnet_blob_from_u64(sum, (uint32_t)width);
}
