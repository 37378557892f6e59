// Prints the realtime and monotonic clocks and 16 bytes from getentropy: under Flatware, the same
// seed and start time give the same output on every run; elsewhere it changes every run.
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static void show(const char *name, clockid_t id) {
  struct timespec ts;
  if (clock_gettime(id, &ts) != 0) {
    printf("%s: clock_gettime failed\n", name);
    return;
  }
  printf("%s: %lld.%09ld\n", name, (long long)ts.tv_sec, (long)ts.tv_nsec);
}

int main(void) {
  show("realtime", CLOCK_REALTIME);
  show("monotonic", CLOCK_MONOTONIC);
  show("monotonic again", CLOCK_MONOTONIC);
  unsigned char bytes[16];
  if (getentropy(bytes, sizeof bytes) != 0) {
    puts("getentropy failed");
    return 1;
  }
  printf("entropy:");
  for (size_t i = 0; i < sizeof bytes; i++) printf(" %02x", bytes[i]);
  printf("\n");
  return 0;
}
