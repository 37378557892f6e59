// Allocates 1 MiB chunks until malloc fails, writing to every page of each so that the memory is really
// used, then prints how many it got: the memory limit decides the count.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  enum { chunk = 1 << 20 };
  unsigned long count = 0;
  for (;;) {
    volatile char *p = malloc(chunk);
    if (!p) break;
    for (size_t i = 0; i < chunk; i += 4096) p[i] = (char)(i + count);
    count++;
  }
  printf("allocated %lu MiB before malloc failed\n", count);
  return 0;
}
