// Exits with code 3 after writing one line to stdout and one to stderr (proc_exit with a non-zero code).
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  puts("exiting with 3");
  fprintf(stderr, "exit3: about to exit(3)\n");
  exit(3);
}
