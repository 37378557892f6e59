// Runtime: the procedure runners and threads a command evaluates with. Today the built-in native
// procedures; the Wasm runner joins the dispatcher when part `wasm` provides it.
#pragma once

#include "core/procedure.h"
#include "core/thread_pool.h"

namespace fixnet::cli {

class Runtime {
 public:
  Runtime() {
    NativeProcedures::add_builtins(natives_);
    dispatcher_.add(&natives_);
  }
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  ProcedureRunner& runner() { return dispatcher_; }
  ThreadPool& pool() { return pool_; }

 private:
  NativeProcedures natives_;
  ProcedureDispatcher dispatcher_;
  ThreadPool pool_;
};

}  // namespace fixnet::cli
