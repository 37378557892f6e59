// Deterministic fuel and call-depth accounting, added to a checked module's IR before it becomes C.
//
// Two mutable globals are appended (so no existing index moves) and exported under reserved names,
// which gives the host their place in wasm2c's instance struct:
//   "__fixnet_fuel"  (i64): set to the invocation's fuel before each call. Every function entry and
//                    every loop header subtracts the instruction count of the code it starts (up to
//                    the next loop header), and executes `unreachable` when the counter goes below 0;
//                    the host reports that trap as "fuel exhausted". The count depends on the module
//                    and the path taken only, so it is the same on every machine.
//   "__fixnet_depth" (i32): wasm2c's call-depth counter (its FUNC_PROLOGUE/EPILOGUE), kept in the
//                    instance rather than in a process-wide global, so instances on different threads
//                    never share it.
#pragma once

namespace wabt {
struct Module;
}

namespace fixnet::wasm {

// Precondition: `module` passed check_module(). Throws ProcedureError if the result does not validate
// (which would be a bug here, reported rather than compiled).
void instrument(wabt::Module& module);

}  // namespace fixnet::wasm
