// InterpretedModule: a procedure (or Flatware program) run by wabt's interpreter instead of compiled
// code — while its native code compiles, or always (engine "interp", wasm_runner.h). It gives the
// same results, byte for byte, because it runs the same thing the same way:
//   - the same module: check_and_instrument() (toolchain.h) — fuel charged identically — plus the
//     checks compiled code makes outside the IR (interpreter_checks.h: call depth, memory limit);
//   - the same guest API: host_api.h's functions, on a HostContext like the compiled instance's;
//   - the same errors: invocation_errors.h maps the interpreter's traps to the compiled code's;
//   - fresh state per invocation: pooled instances are reset (globals, written memory chunks, data and
//     element segments) or, when a call grew the memory or the module can write its table, dropped.
//
// Thread-safe: each call takes an instance (with its own wabt Store) from the pool for itself.
#pragma once

#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "core/procedure.h"

namespace fixnet::wasm {

class SystemCalls;

// Thrown by InterpretedModule::apply when the computation needs more fuel than the budget it was
// given (and less than its limit allows): nothing is decided, the caller runs it elsewhere.
struct InterpreterBudgetExhausted {};

class InterpretedModule {
 public:
  // Reads, checks and instruments module `name` (its bytes). Throws ProcedureError like the
  // toolchain for an invalid module.
  InterpretedModule(std::string_view bytes, Name name);
  ~InterpretedModule();
  InterpretedModule(const InterpretedModule&) = delete;
  InterpretedModule& operator=(const InterpretedModule&) = delete;

  Name name() const { return name_; }
  bool is_program() const;

  // As Instance::apply and Instance::run (instance.h), with the same results and errors. With a
  // `fuel_budget` below the invocation's fuel limit, a computation that runs past the budget throws
  // InterpreterBudgetExhausted instead of finishing (what it computes is the same anywhere, so it can
  // be run again by compiled code).
  Name apply(const Invocation& invocation, uint64_t fuel_budget = UINT64_MAX);
  uint32_t run(ObjectStore& store, const Limits& limits, SystemCalls& system);

  struct Description;
  class Interpreter;

 private:
  std::unique_ptr<Interpreter> acquire();
  void release(std::unique_ptr<Interpreter> interpreter);
  template <class F>
  auto leased(F&& f);

  Name name_;
  std::unique_ptr<Description> description_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Interpreter>> free_;
};

}  // namespace fixnet::wasm
