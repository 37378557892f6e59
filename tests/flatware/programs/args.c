// Prints its argv and environment exactly as it got them, one per line, in order: for checking that a
// runner passes argv[0] as given, every argument byte for byte, and the environment given and nothing
// else.
#include <stdio.h>

extern char **environ;

int main(int argc, char **argv) {
  printf("argc %d\n", argc);
  for (int i = 0; i < argc; i++) printf("argv[%d] = \"%s\"\n", i, argv[i]);
  int count = 0;
  for (char **e = environ; e && *e; e++) printf("env[%d] = \"%s\"\n", count++, *e);
  printf("%d environment entries\n", count);
  return 0;
}
