// Runtime: the procedure runners and threads a command evaluates with — the built-in native
// procedures, then the Wasm runner (modules compiled once per machine into the repository's
// cache/ directory), behind one ProcedureDispatcher.
#pragma once

#include <filesystem>
#include <memory>

#include "core/procedure.h"
#include "core/thread_pool.h"

namespace fixnet::cli {

class Runtime {
 public:
  // `cache_dir`: where compiled procedures are kept (Repository::cache_dir()).
  explicit Runtime(const std::filesystem::path& cache_dir);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  ProcedureRunner& runner() { return dispatcher_; }
  ThreadPool& pool() { return pool_; }

 private:
  NativeProcedures natives_;
  std::unique_ptr<ProcedureRunner> wasm_;
  ProcedureDispatcher dispatcher_;
  ThreadPool pool_;  // last: its threads stop before the runners they may be calling go away
};

}  // namespace fixnet::cli
