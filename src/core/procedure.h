// The apply step of the evaluator, as an interface: a ProcedureRunner runs the procedure of an
// Application on its evaluated encode tree [limits, procedure, arg…] and returns the result's Name.
//
// The Wasm runner (part `wasm`) plugs in here; NativeProcedures serves trusted procedures written in
// C++ (the built-ins and the tests' own), named by a Blob "fixnet-native:NAME".
//
// A runner throws ProcedureError for a failure the inputs determine (it becomes a memoized error
// value) and EnvironmentError for anything else. Runners are called from many threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <shared_mutex>
#include <span>
#include <string>

#include "core/name.h"
#include "core/store.h"

namespace fixnet {

// The limits entry of an Application: a 16-byte Blob, memory bytes then fuel, both u64 LE
// (docs/format.md). Zero means "the runner's default".
struct Limits {
  uint64_t memory_bytes = 0;
  uint64_t fuel = 0;

  Name to_blob_name() const;
  static Limits parse(Name limits_blob);  // throws ProcedureError: malformed limits are the input's fault
};

struct Invocation {
  ObjectStore& store;
  Name encode;     // the evaluated encode tree (a Tree): [limits, procedure, arg…]
  Name procedure;  // entry 1 of `encode`: a Blob, or a Tree [procedure, captured…]
  Limits limits;
  // The entries of `encode`, when the caller holds them (the evaluator does), else empty: a runner
  // reads them here instead of asking the store again. Valid for the duration of the call.
  std::span<const Name> entries = {};
};

// The Blob at the root of a procedure: the procedure itself, or entry 0 of a closure Tree, repeatedly.
// Throws ProcedureError when the procedure is neither.
Name closure_root(ObjectStore& store, Name procedure);  // the same for a procedure that is not a plain Blob
inline Name procedure_root(ObjectStore& store, Name procedure) {
  if (procedure.is_blob() && !procedure.is_ref()) return procedure;  // the common case, without a call
  return closure_root(store, procedure);
}

class ProcedureRunner {
 public:
  virtual ~ProcedureRunner() = default;
  // Whether this runner knows how to run `procedure_blob` (the Blob at the root of the procedure).
  virtual bool handles(ObjectStore& store, Name procedure_blob) = 0;
  virtual Name apply(const Invocation& invocation) = 0;
  // The runner whose apply() runs `procedure_blob`: this one if it handles it, or, for a runner that
  // hands procedures to others (ProcedureDispatcher), the one it hands it to; nullptr if none does.
  // The answer for a procedure never changes once one is given (runners recognise procedures by
  // their bytes, and are only ever added), so callers may keep it: the evaluator does, per thread.
  virtual ProcedureRunner* runner_for(ObjectStore& store, Name procedure_blob) {
    return handles(store, procedure_blob) ? this : nullptr;
  }
};

// Trusted C++ procedures, registered by name. The procedure Blob is "fixnet-native:NAME".
class NativeProcedures : public ProcedureRunner {
 public:
  using Fn = std::function<Name(const Invocation&)>;

  // Registers fn and returns the Name of its procedure Blob.
  Name add(const std::string& name, Fn fn);
  static Name procedure_name(const std::string& name);

  bool handles(ObjectStore& store, Name procedure_blob) override;
  Name apply(const Invocation& invocation) override;

  // The built-in procedures every fixnet has (docs/semantics.md, "Built-in procedures").
  static void add_builtins(NativeProcedures& natives);

 private:
  std::shared_mutex mutex_;
  std::map<std::string, Fn, std::less<>> procedures_;
};

// Tries each runner in order; the first that handles the procedure runs it.
class ProcedureDispatcher : public ProcedureRunner {
 public:
  ProcedureDispatcher();
  void add(ProcedureRunner* runner) { runners_.push_back(runner); }
  bool handles(ObjectStore& store, Name procedure_blob) override;
  Name apply(const Invocation& invocation) override;
  ProcedureRunner* runner_for(ObjectStore& store, Name procedure_blob) override;

 private:
  ProcedureRunner* route(ObjectStore& store, Name root);

  const uint64_t id_;  // tells this dispatcher's entry in a thread's route cache from another's
  std::vector<ProcedureRunner*> runners_;
};

}  // namespace fixnet
