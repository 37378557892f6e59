// How an invocation ends in error, the same for both engines (the compiled code and wabt's
// interpreter, interpreter.h): what each trap is called in an error value (docs/wasm.md, "Traps") and
// the ProcedureError of each way an invocation can go wrong.
#pragma once

#include <cstdint>
#include <exception>
#include <string>

#include "core/name.h"

namespace fixnet::wasm {

// The text of a wasm_rt_trap_t code, e.g. "integer division by zero".
std::string trap_description(uint32_t code);

// Throws the error of procedure `module`'s invocation that ended with trap `code` (a wasm_rt_trap_t
// or FIXNET_TRAP_HOST, whose reason is `failure`): "procedure <name> trapped: <what>", "… failed:
// <message>" for fixnet_fail, "fuel exhausted (limit N)" when the fuel counter is below zero after an
// `unreachable`; a host failure that is not the procedure's fault (EnvironmentError) is rethrown.
[[noreturn]] void throw_trap_error(Name module, uint32_t code, int64_t fuel_left, uint64_t fuel_limit,
                                   std::exception_ptr failure);

// Throws if a memory of `initial_bytes` does not fit the invocation's memory limit.
void check_initial_memory(Name module, uint64_t initial_bytes, uint64_t memory_limit);
[[noreturn]] void throw_instantiation_trap(Name module, uint32_t code);
[[noreturn]] void throw_invalid_result(Name module, uint32_t handle, uint32_t handle_count);
// A procedure run as a Flatware program, or a program applied as a procedure.
[[noreturn]] void throw_not_a_procedure(Name program);
[[noreturn]] void throw_not_a_program(Name procedure);

}  // namespace fixnet::wasm
