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
// Every invocation sees the instance as freshly instantiated (see instance.h).
//
// Errors: an invalid module, a trap, a bad handle → ProcedureError (memoized as an error value);
// no compiler, disk or memory trouble → EnvironmentError. Thread-safe; the runner must outlive the
// calls running on it.
#pragma once

#include <filesystem>
#include <memory>

#include "core/procedure.h"

namespace fixnet::wasm {

class Toolchain;
class SystemCalls;

struct WasmRunnerStats {
  uint64_t modules_loaded = 0;
  uint64_t instances = 0;
  uint64_t compiled = 0;    // by this process
  uint64_t cache_hits = 0;  // artifacts found compiled on disk
};

class WasmRunner : public ProcedureRunner {
 public:
  explicit WasmRunner(std::filesystem::path cache_dir);
  ~WasmRunner() override;

  bool handles(ObjectStore& store, Name procedure_blob) override;
  Name apply(const Invocation& invocation) override;

  // Runs the Flatware program `program` (a Wasm Blob that imports WASI and exports _start) with
  // `system` answering its WASI calls, and returns its exit code. Throws like apply(): a trap or an
  // invalid module is a ProcedureError. Part `flatware` builds its runner on this.
  uint32_t run_program(ObjectStore& store, Name program, const Limits& limits, SystemCalls& system);
  // Whether `module` is a Flatware program (compiling and loading it if needed). Throws like apply().
  bool is_program(ObjectStore& store, Name module);

  // Compiles (or finds compiled) and loads `module` without running it. Throws like apply().
  void prepare(ObjectStore& store, Name module);
  WasmRunnerStats stats();
  Toolchain& toolchain();

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

// The Wasm runner for the `fixnet` command and services: artifacts cached in `cache_dir` (the
// repository's cache/ directory).
std::unique_ptr<ProcedureRunner> make_wasm_runner(std::filesystem::path cache_dir);

// Whether `bytes` start like a Wasm module.
bool looks_like_wasm(std::string_view bytes);

}  // namespace fixnet::wasm
