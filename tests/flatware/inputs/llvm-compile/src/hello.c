#include <stdio.h>

int main(int argc, char **argv) {
  printf("hello from a program compiled by clang running in Flatware (%d args)\n", argc);
  return argc > 1 ? 1 : 0;
}
