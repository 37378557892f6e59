#include "wasm/invocation_errors.h"

#include <fmt/format.h>

#include "core/error.h"
#include "fixnet_abi.h"
#include "wasm/host_errors.h"
#include "wasm/sandbox_limits.h"

namespace fixnet::wasm {

std::string trap_description(uint32_t code) {
  switch (code) {
    case WASM_RT_TRAP_OOB:
      return "out-of-bounds memory or table access";
    case WASM_RT_TRAP_INT_OVERFLOW:
      return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO:
      return "integer division by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION:
      return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE:
      return "unreachable executed";
    case WASM_RT_TRAP_CALL_INDIRECT:
      return "indirect call to a missing or mistyped table entry";
    case WASM_RT_TRAP_EXHAUSTION:
      return fmt::format("call stack exhausted (more than {} nested calls)", kMaxCallDepth);
    default:
      return fmt::format("trap {}", code);
  }
}

void throw_trap_error(Name module, uint32_t code, int64_t fuel_left, uint64_t fuel_limit,
                      std::exception_ptr failure) {
  const std::string procedure = module.short_hex();
  if (code == FIXNET_TRAP_HOST) {
    try {
      std::rethrow_exception(failure);
    } catch (const GuestFailure& e) {
      throw ProcedureError(fmt::format("procedure {} failed: {}", procedure, e.what()));
    } catch (const ProcedureError& e) {
      throw ProcedureError(fmt::format("procedure {} trapped: {}", procedure, e.what()));
    }
  }
  if (code == WASM_RT_TRAP_UNREACHABLE && fuel_left < 0)
    throw ProcedureError(fmt::format("procedure {} trapped: fuel exhausted (limit {})", procedure, fuel_limit));
  throw ProcedureError(fmt::format("procedure {} trapped: {}", procedure, trap_description(code)));
}

void check_initial_memory(Name module, uint64_t initial_bytes, uint64_t memory_limit) {
  if (initial_bytes > memory_limit)
    throw ProcedureError(fmt::format("procedure {} needs {} bytes of memory initially; the memory limit is {}",
                                     module.short_hex(), initial_bytes, memory_limit));
}

void throw_instantiation_trap(Name module, uint32_t code) {
  throw ProcedureError(
      fmt::format("procedure {} trapped while instantiating: {}", module.short_hex(), trap_description(code)));
}

void throw_invalid_result(Name module, uint32_t handle, uint32_t handle_count) {
  throw ProcedureError(fmt::format("procedure {} returned handle {}, which is not valid (the invocation had {})",
                                   module.short_hex(), handle, handle_count));
}

void throw_not_a_procedure(Name program) {
  throw ProcedureError(fmt::format(
      "{} is a Flatware program (it imports WASI and exports _start), not a procedure: run it with "
      "`fixnet run` or as a Flatware Application (docs/flatware.md)",
      program.short_hex()));
}

void throw_not_a_program(Name procedure) {
  throw ProcedureError(
      fmt::format("{} is a procedure, not a Flatware program (it exports no _start)", procedure.short_hex()));
}

}  // namespace fixnet::wasm
