/* fib(n, add): the n-th Fibonacci number (n and the result are u64), by recursive Application thunks.
 * For n >= 2 the result is the thunk add(Strict(fib(n - 1)), Strict(fib(n - 2))): the evaluator forces
 * it, evaluating both arguments (in parallel, memoized: fib(20) runs fib 21 times). `add` is any
 * procedure summing u64s, such as examples/add.c. */
#include <fixnet/guest.h>

fixnet_handle _fixnet_apply(fixnet_handle encode) {
  const fixnet_handle limits = fixnet_tree_entry(encode, FIXNET_ENCODE_LIMITS);
  const fixnet_handle self = fixnet_tree_entry(encode, FIXNET_ENCODE_PROCEDURE);
  const uint64_t n = fixnet_blob_u64(fixnet_arg(encode, 0));
  const fixnet_handle add = fixnet_arg(encode, 1);
  if (n < 2) return fixnet_blob_from_u64(n, 8);

  fixnet_handle minus1[4] = {limits, self, fixnet_blob_from_u64(n - 1, 8), add};
  fixnet_handle minus2[4] = {limits, self, fixnet_blob_from_u64(n - 2, 8), add};
  fixnet_handle sum[4] = {limits, add, fixnet_strict(fixnet_application(fixnet_tree_create(minus1, 4))),
                          fixnet_strict(fixnet_application(fixnet_tree_create(minus2, 4)))};
  return fixnet_application(fixnet_tree_create(sum, 4));
}
