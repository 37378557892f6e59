// WasmRunner: runs procedures that are Wasm modules (a Blob starting with "\0asm") for the evaluator's
// ProcedureDispatcher, beside NativeProcedures.
//
//   ProcedureDispatcher dispatcher;
//   auto wasm = fixnet::wasm::make_wasm_runner(repository->cache_dir());
//   dispatcher.add(&natives);
//   dispatcher.add(wasm.get());
//
// A module is compiled once per machine (Toolchain, cached under `cache_dir`/wasm), loaded once per
// process and instantiated once per thread that runs it: each thread keeps its last few (module,
// instance) pairs, so a repeated invocation takes no lock and allocates nothing but its result.
// Every invocation sees the instance as freshly instantiated (see instance.h). Under the `auto`
// engine (below), a module not yet compiled on this machine runs in wabt's interpreter while it
// compiles in the background; the switch to native code happens when a call loads the module, never
// inside a call.
//
// Errors: an invalid module, a trap, a bad handle → ProcedureError (memoized as an error value);
// no compiler, disk or memory trouble → EnvironmentError. Thread-safe; the runner must outlive the
// calls running on it.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/procedure.h"

namespace fixnet::wasm {

class Toolchain;
class SystemCalls;

// Which engine runs a module: its compiled native code, wabt's interpreter (interpreter.h: the same
// results, slower, nothing to compile), or — `auto`, the default — the interpreter while the module
// compiles in the background, then native code. A module already compiled on this machine runs
// native at once under `auto`. Named `native`, `interp`, `auto` everywhere (fixnet eval --engine).
enum class Engine { Auto, Native, Interp };
std::string_view engine_name(Engine engine);
// The engine called `name`, or nullopt.
std::optional<Engine> engine_named(std::string_view name);

// Under `auto`, an invocation the interpreter has not finished within this much fuel (Wasm
// instructions: about a second of interpretation) is given up and run by the compiled code once it is
// loaded: the interpreter shortens the wait for quick results, it must not stretch long ones.
// Flatware programs (run_program) run compiled under `auto`.
inline constexpr uint64_t kAutoInterpreterFuel = uint64_t{1} << 26;

struct WasmRunnerOptions {
  Engine engine = Engine::Auto;
};

struct WasmRunnerStats {
  uint64_t modules_loaded = 0;
  uint64_t instances = 0;
  uint64_t compiled = 0;           // by this process
  uint64_t cache_hits = 0;         // artifacts found compiled on disk
  uint64_t interpreted = 0;        // modules read for the interpreter
  uint64_t interpreted_calls = 0;  // invocations (and program runs) the interpreter started
};

class WasmRunner : public ProcedureRunner {
 public:
  explicit WasmRunner(std::filesystem::path cache_dir, WasmRunnerOptions options = {});
  ~WasmRunner() override;

  bool handles(ObjectStore& store, Name procedure_blob) override;
  Name apply(const Invocation& invocation) override;

  // Runs the Flatware program `program` (a Wasm Blob that imports WASI and exports _start) with
  // `system` answering its WASI calls, and returns its exit code. Throws like apply(): a trap or an
  // invalid module is a ProcedureError. Part `flatware` builds its runner on this.
  uint32_t run_program(ObjectStore& store, Name program, const Limits& limits, SystemCalls& system);
  // Whether `module` is a Flatware program (compiling and loading it if needed). Throws like apply().
  bool is_program(ObjectStore& store, Name module);

  // Compiles (or finds compiled) and loads `module` without running it, whatever the engine (under
  // `auto`, waits for a compile started in the background). Throws like apply().
  void prepare(ObjectStore& store, Name module);
  WasmRunnerStats stats();
  Toolchain& toolchain();

  // Under `auto`: `observer` is told once for a module whose background compile failed (it goes on
  // running in the interpreter), with the module's Name and why. Set it before anything runs. It is
  // called on the compiling thread, possibly while the runner is being destroyed (which waits for its
  // compiles), so it must not reach into the runner's owner.
  using CompileFailureObserver = std::function<void(Name module, const std::string& reason)>;
  void set_compile_failure_observer(CompileFailureObserver observer);

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

// The Wasm runner for the `fixnet` command and services: artifacts cached in `cache_dir` (the
// repository's cache/ directory).
std::unique_ptr<ProcedureRunner> make_wasm_runner(std::filesystem::path cache_dir, WasmRunnerOptions options = {});

// Whether `bytes` start like a Wasm module.
bool looks_like_wasm(std::string_view bytes);

}  // namespace fixnet::wasm
