// What compiled code checks outside the module's IR and wabt's interpreter does not, added to an
// instrumented module (instrument.h) before it is interpreted — after the fuel charges, so fuel is
// counted exactly as for the compiled module:
//   - call depth: wasm2c's function prologue counts nested calls in __fixnet_depth and traps past
//     kMaxCallDepth (the C of every defined function). Here every defined function starts by
//     incrementing __fixnet_depth and executing `unreachable` past the limit, and decrements it on
//     its way out (its body is wrapped in a block, `return` becomes a branch out of it). The host
//     reports that `unreachable` as the call-stack trap: the counter exceeds the limit only then.
//   - the memory limit: the compiled module's memory.grow asks the host, which refuses growth past the
//     invocation's limit. Here each memory.grow first compares the new size in pages with a global the
//     host sets per invocation (the limit in pages, at most kMaxMemoryPages) and gives -1 past it; the
//     module's own maximum is the interpreter's to enforce, as the Wasm spec says.
#pragma once

#include <wabt/ir.h>

namespace fixnet::wasm {

struct InterpreterChecks {
  wabt::Index fuel_global;          // __fixnet_fuel
  wabt::Index dirty_global;         // __fixnet_dirty
  wabt::Index depth_global;         // __fixnet_depth
  wabt::Index memory_limit_global;  // i64: pages memory.grow may reach (set by the host per call)
};

// Precondition: `module` was instrumented. Throws ProcedureError if the result does not validate (a
// bug here, reported rather than run).
InterpreterChecks add_interpreter_checks(wabt::Module& module);

}  // namespace fixnet::wasm
