// Calls fd_write directly with pointers outside linear memory and prints the WASI errno each call
// returns: a runtime must answer EFAULT (or trap), never read host memory.
#include <stdint.h>
#include <stdio.h>
#include <wasi/api.h>

static void report(const char *what, __wasi_errno_t e, __wasi_size_t written) {
  printf("%s: errno %u%s, written %u\n", what, (unsigned)e, e == __WASI_ERRNO_FAULT ? " (EFAULT)" : "",
         (unsigned)written);
}

int main(void) {
  __wasi_size_t written = 0;
  // The iovec array itself lies past the end of memory.
  __wasi_errno_t e = __wasi_fd_write(1, (const __wasi_ciovec_t *)(uintptr_t)0xfffffff0u, 1, &written);
  report("iovec array outside memory", e, written);

  // A valid iovec whose buffer lies outside memory.
  __wasi_ciovec_t iov = {(const uint8_t *)(uintptr_t)0xffff0000u, 4096};
  written = 0;
  e = __wasi_fd_write(1, &iov, 1, &written);
  report("buffer outside memory", e, written);

  // A buffer that starts inside memory and runs past its end (the length wraps past 4 GiB).
  __wasi_ciovec_t wrap = {(const uint8_t *)&iov, 0xfffffff0u};
  written = 0;
  e = __wasi_fd_write(1, &wrap, 1, &written);
  report("buffer running past the end", e, written);
  return 0;
}
