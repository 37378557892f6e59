/* Scratch memory for the examples: grows the guest's memory by enough pages for `bytes` and returns
 * the new space. No allocator, no libc: every invocation starts from the module's initial memory, so
 * nothing needs freeing. Fails the invocation when the memory limit does not allow it. */
#ifndef FIXNET_EXAMPLES_SCRATCH_H_
#define FIXNET_EXAMPLES_SCRATCH_H_

#include <fixnet/guest.h>

static inline void* scratch(uint64_t bytes) {
  const uint64_t pages = (bytes + 65535) / 65536;
  const uint64_t old = __builtin_wasm_memory_grow(0, (unsigned long)pages);
  if (old == (unsigned long)-1) FIXNET_FAIL("out of memory: the memory limit is too small for this input");
  return (void*)(old * 65536);
}

#endif
