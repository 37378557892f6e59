// spew N: writes N MiB to stdout (a repeating pattern of printable lines), then the byte count to stderr.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 1;
  if (mib < 0) mib = 0;
  static char block[1 << 16];
  for (size_t i = 0; i < sizeof block; i++) block[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
  unsigned long long total = 0;
  for (long i = 0; i < mib * 16; i++) {
    size_t n = fwrite(block, 1, sizeof block, stdout);
    total += n;
    if (n != sizeof block) break;
  }
  fflush(stdout);
  fprintf(stderr, "wrote %llu bytes\n", total);
  return 0;
}
