// SystemCalls: who answers a Flatware program's WASI preview 1 calls. The wasm part runs the program
// (WasmRunner::run_program) and forwards each import here; part `flatware` implements the answers from
// the run's input Tree (flatware/wasi_host.h). Keeping the interface here keeps `wasm` free of any
// notion of files or clocks.
#pragma once

#include <cstdint>
#include <string_view>

#include "wasm/runtime/wasi_abi.h"
#include "wasm/guest_memory.h"

namespace fixnet::wasm {

#define FIXNET_WASI_ENUM(name, ret, wres, wparams, params, args) name = FIXNET_WASI_##name,
enum class WasiCall : uint32_t { FIXNET_WASI_CALLS(FIXNET_WASI_ENUM) };
#undef FIXNET_WASI_ENUM
inline constexpr uint32_t kWasiCallCount = FIXNET_WASI_COUNT;

// The import name of a call, e.g. "fd_write".
std::string_view wasi_call_name(WasiCall call);

// Thrown by SystemCalls::call for proc_exit: the program ends with `code`.
struct ProcExit {
  uint32_t code;
};

class SystemCalls {
 public:
  virtual ~SystemCalls() = default;
  // Answers `call` with the guest's arguments (zero-extended to u64, in the order of the WASI
  // signature) and returns the WASI errno it returns (0 = success). Bad guest pointers must become
  // EFAULT (GuestMemory throws GuestFault). proc_exit throws ProcExit. Throwing ProcedureError traps
  // the program deterministically (e.g. output over the limits); EnvironmentError is the host's
  // failure. Called only from the thread running the program.
  virtual uint32_t call(WasiCall call, const uint64_t* args, GuestMemory& memory) = 0;
};

}  // namespace fixnet::wasm
