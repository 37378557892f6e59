// Never ends: only a fuel limit (or the runner's timeout) stops it. The loop has a side effect the
// compiler cannot drop, and makes no WASI call inside.
#include <stdio.h>

int main(void) {
  puts("looping forever");
  fflush(stdout);
  volatile unsigned counter = 0;
  for (;;) counter++;
}
