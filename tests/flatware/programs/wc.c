// Reads stdin to its end and prints its lines, words and bytes (like wc) and an FNV-1a hash of the
// bytes: the case for a program's standard input.
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>

int main(void) {
  unsigned long long lines = 0, words = 0, bytes = 0;
  uint64_t hash = 1469598103934665603ull;
  int in_word = 0, c;
  while ((c = getchar()) != EOF) {
    bytes++;
    hash = (hash ^ (uint8_t)c) * 1099511628211ull;
    if (c == '\n') lines++;
    if (isspace(c)) {
      in_word = 0;
    } else if (!in_word) {
      in_word = 1;
      words++;
    }
  }
  if (ferror(stdin)) {
    perror("wc: reading stdin");
    return 1;
  }
  printf("%llu lines, %llu words, %llu bytes, fnv1a %016llx\n", lines, words, bytes,
         (unsigned long long)hash);
  return 0;
}
