// sort N: generates N MiB of pseudo-random 32-bit numbers with a fixed linear congruential generator,
// sorts them (LSD radix sort, 8 bits a pass), checks the order and prints a checksum of the result.
// Compute-bound with no system calls in the loop: built both for wasm32-wasi and natively, for
// benchmarks. The output depends on N only.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 1;
  if (mib <= 0 || mib > 1024) {
    fprintf(stderr, "usage: %s N  (MiB of numbers to sort, 1..1024)\n", argc > 0 ? argv[0] : "sort");
    return 2;
  }
  size_t count = (size_t)mib * (1u << 20) / sizeof(uint32_t);
  uint32_t *values = malloc(count * sizeof *values);
  uint32_t *scratch = malloc(count * sizeof *scratch);
  if (!values || !scratch) {
    fprintf(stderr, "sort: out of memory for %ld MiB\n", mib);
    return 1;
  }
  uint32_t state = 12345;
  for (size_t i = 0; i < count; i++) {
    state = state * 1664525u + 1013904223u;  // Numerical Recipes' constants
    values[i] = state ^ (state >> 15);
  }
  for (int shift = 0; shift < 32; shift += 8) {
    size_t offsets[257];
    memset(offsets, 0, sizeof offsets);
    for (size_t i = 0; i < count; i++) offsets[((values[i] >> shift) & 0xff) + 1]++;
    for (int b = 0; b < 256; b++) offsets[b + 1] += offsets[b];
    for (size_t i = 0; i < count; i++) scratch[offsets[(values[i] >> shift) & 0xff]++] = values[i];
    uint32_t *swap = values;
    values = scratch;
    scratch = swap;
  }
  uint64_t checksum = 1469598103934665603ull;  // FNV-1a over the sorted values
  for (size_t i = 0; i < count; i++) {
    if (i > 0 && values[i - 1] > values[i]) {
      fprintf(stderr, "sort: not sorted at %zu\n", i);
      return 1;
    }
    checksum = (checksum ^ values[i]) * 1099511628211ull;
  }
  printf("sorted %zu numbers: min %u max %u checksum %016llx\n", count, values[0], values[count - 1],
         (unsigned long long)checksum);
  free(values);
  free(scratch);
  return 0;
}
