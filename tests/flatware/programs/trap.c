// Traps (the Wasm `unreachable` instruction) after writing a line: the run must end as an error value,
// with no exit code, whatever was written before.
#include <stdio.h>

int main(void) {
  puts("about to trap");
  fflush(stdout);
  __builtin_trap();
}
