// Runtime: the procedure runners and threads a command evaluates with — the built-in native
// procedures, Flatware programs, then the Wasm runner (modules compiled once per machine into the
// repository's cache/ directory), behind one ProcedureDispatcher. A module compiled in several units
// (a big one) shows a progress bar on a terminal while it compiles.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "core/procedure.h"
#include "core/thread_pool.h"
#include "flatware/flatware_runner.h"
#include "wasm/wasm_runner.h"

namespace fixnet::cli {

class Progress;

class Runtime {
 public:
  // `cache_dir`: where compiled procedures are kept (Repository::cache_dir()), unless
  // $FIXNET_CACHE_DIR names another (one cache shared by every repository of a machine or a CI run).
  // `wasm` chooses the engine that runs Wasm modules (wasm_runner.h; `--engine`). Under `auto`, a
  // module whose background compile fails is reported on stderr, one line, once.
  explicit Runtime(const std::filesystem::path& cache_dir, wasm::WasmRunnerOptions wasm = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  ProcedureRunner& runner() { return dispatcher_; }
  ThreadPool& pool() { return pool_; }
  flatware::FlatwareRunner& flatware() { return flatware_; }
  wasm::WasmRunner& wasm() { return wasm_; }

 private:
  NativeProcedures natives_;
  wasm::WasmRunner wasm_;
  flatware::FlatwareRunner flatware_;
  ProcedureDispatcher dispatcher_;
  std::mutex compile_progress_mutex_;
  std::unique_ptr<Progress> compile_progress_;  // while a module compiles
  ThreadPool pool_;  // last: its threads stop before the runners they may be calling go away
};

}  // namespace fixnet::cli
