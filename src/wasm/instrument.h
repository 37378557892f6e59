// Deterministic accounting added to a checked module's IR before it becomes C.
//
// Three mutable globals are appended (so no existing index moves) and exported under reserved names,
// which gives the host their place in wasm2c's instance struct:
//   "__fixnet_fuel"  (i64): set to the invocation's fuel before each call. Every function entry and
//                    every loop header subtracts the number of the module's own instructions in the
//                    code it starts (up to the next loop header), and executes `unreachable` when the
//                    counter goes below 0; the host reports that trap as "fuel exhausted". The count
//                    depends on the module and the path taken only: the same on every machine.
//   "__fixnet_depth" (i32): wasm2c's call-depth counter (its FUNC_PROLOGUE/EPILOGUE), kept in the
//                    instance rather than in a process-wide global, so threads never share it.
//   "__fixnet_dirty" (i64): which chunks of the initial memory the call may have written. Memory is cut
//                    into 64 chunks of 2^dirty_shift bytes (at least 4 KiB); every store sets the bit
//                    of the chunk its address falls in (a store crossing into the next chunk is covered
//                    by the reset copying 8 bytes past each dirty chunk), bulk memory operations set all
//                    bits. A pooled instance then restores only the dirty chunks.
#pragma once

#include <cstdint>

namespace wabt {
struct Module;
}

namespace fixnet::wasm {

struct Instrumented {
  uint32_t dirty_shift;  // log2 of the dirty-chunk size
};

// Precondition: `module` passed check_module(). Throws ProcedureError if the result does not validate
// (which would be a bug here, reported rather than compiled).
Instrumented instrument(wabt::Module& module);

// log2 of the dirty-chunk size for a memory of `initial_bytes`: 64 chunks cover it, 4 KiB at least.
uint32_t dirty_shift_for(uint64_t initial_bytes);

}  // namespace fixnet::wasm
