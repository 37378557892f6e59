// FlatwareRunner: runs Flatware Applications for the evaluator's ProcedureDispatcher. An Application
// whose procedure (entry 1) is a Flatware program — a Wasm module that imports WASI preview 1 and
// exports _start — gets its encode tree read as the program's input and its result is the output Tree
// (docs/flatware.md): so a program run is memoized, explained by `fixnet why` and re-run by
// `fixnet reproduce` like any computation.
//
//   wasm::WasmRunner wasm(cache_dir);
//   flatware::FlatwareRunner flatware(wasm);
//   dispatcher.add(&flatware);  // before the Wasm runner: it claims only programs
//   dispatcher.add(&wasm);
//
// Thread-safe; the Wasm runner must outlive it.
#pragma once

#include <functional>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>

#include "core/procedure.h"
#include "wasm/wasm_runner.h"

namespace fixnet::flatware {

class FlatwareRunner : public ProcedureRunner {
 public:
  explicit FlatwareRunner(wasm::WasmRunner& wasm);

  // True for Wasm modules that are Flatware programs. A module that fails inspection is left to the
  // Wasm runner, which reports why.
  bool handles(ObjectStore& store, Name procedure_blob) override;
  // Runs the program on the input the encode tree holds. Its exit code, whatever it is, is part of
  // the result; a trap, fuel or memory exhaustion, output over the limit or a malformed input entry
  // is a ProcedureError (an error value, memoized).
  Name apply(const Invocation& invocation) override;

  // Sees the bytes programs write to stdout (fd 1) and stderr (fd 2), as they write them (`fixnet run`
  // streams them to the terminal). A memo hit runs nothing, so writes nothing here. Set it before
  // evaluation starts; it is called on the thread running the program.
  using OutputObserver = std::function<void(int fd, std::string_view bytes)>;
  void set_output_observer(OutputObserver observer) { observer_ = std::move(observer); }

 private:
  wasm::WasmRunner& wasm_;
  OutputObserver observer_;
  std::shared_mutex mutex_;
  std::unordered_map<Name, bool, NameHash> is_program_;
};

}  // namespace fixnet::flatware
