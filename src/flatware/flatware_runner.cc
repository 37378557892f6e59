#include "flatware/flatware_runner.h"

#include <mutex>

#include "core/error.h"
#include "flatware/guest_io.h"
#include "flatware/program_input.h"
#include "flatware/wasi_host.h"

namespace fixnet::flatware {
namespace {

// Passes every call to the host and shows the observer what a successful fd_write to fd 1 or 2 wrote
// (the first `nwritten` bytes of its iovecs, read back from the guest's memory).
class ObservedCalls : public wasm::SystemCalls {
 public:
  ObservedCalls(WasiHost& host, const FlatwareRunner::OutputObserver& observer)
      : host_(host), observer_(observer) {}

  uint32_t call(wasm::WasiCall call, const uint64_t* args, wasm::GuestMemory& memory) override {
    const uint32_t result = host_.call(call, args, memory);
    if (call == wasm::WasiCall::fd_write && result == 0 && (args[0] == 1 || args[0] == 2)) {
      try {
        const std::string bytes = gather(memory, read_iovecs(memory, args[1], args[2]));
        observer_(static_cast<int>(args[0]),
                  std::string_view(bytes).substr(0, memory.load<uint32_t>(args[3])));
      } catch (const wasm::GuestFault&) {
        // The host read these bytes a moment ago; only a program racing itself could get here.
      }
    }
    return result;
  }

 private:
  WasiHost& host_;
  const FlatwareRunner::OutputObserver& observer_;
};

// The dispatcher asks every Application's procedure; whether a module is a program depends on its
// Name only, so this thread's last answer holds for any runner and spares the lock on the hot path.
struct LastAnswer {
  Name module;
  bool program = false;
  bool valid = false;
};
thread_local LastAnswer tl_last;

}  // namespace

FlatwareRunner::FlatwareRunner(wasm::WasmRunner& wasm) : wasm_(wasm) {}

bool FlatwareRunner::handles(ObjectStore& store, Name procedure_blob) {
  if (tl_last.valid && tl_last.module == procedure_blob) return tl_last.program;
  {
    std::shared_lock lock(mutex_);
    if (auto it = is_program_.find(procedure_blob); it != is_program_.end()) {
      tl_last = {procedure_blob, it->second, true};
      return it->second;
    }
  }
  if (!wasm_.handles(store, procedure_blob)) return false;
  bool program = false;
  try {
    program = wasm_.is_program(store, procedure_blob);
  } catch (const ProcedureError&) {
    program = false;  // an invalid module: the Wasm runner reports why
  }
  std::unique_lock lock(mutex_);
  is_program_.emplace(procedure_blob, program);
  tl_last = {procedure_blob, program, true};
  return program;
}

Name FlatwareRunner::apply(const Invocation& invocation) {
  const ProgramInput input = parse_program_input(invocation.store, invocation.encode);
  WasiHost host(invocation.store, input);
  uint32_t exit_code;
  if (observer_) {
    ObservedCalls observed(host, observer_);
    exit_code = wasm_.run_program(invocation.store, input.program, input.limits, observed);
  } else {
    exit_code = wasm_.run_program(invocation.store, input.program, input.limits, host);
  }
  return output_tree(invocation.store, host.finish(exit_code));
}

}  // namespace fixnet::flatware
