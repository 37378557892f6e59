// add A B: prints A + B (decimal integers) and exits 0; anything else prints a usage line to stderr
// and exits 2. The smallest Flatware program: args, stdout, stderr and the exit code.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int parse(const char *text, long long *value) {
  char *end;
  errno = 0;
  *value = strtoll(text, &end, 10);
  return errno == 0 && end != text && *end == '\0';
}

int main(int argc, char **argv) {
  long long a, b;
  if (argc != 3 || !parse(argv[1], &a) || !parse(argv[2], &b)) {
    fprintf(stderr, "usage: %s A B  (two decimal integers)\n", argc > 0 ? argv[0] : "add");
    return 2;
  }
  printf("%lld\n", a + b);
  return 0;
}
