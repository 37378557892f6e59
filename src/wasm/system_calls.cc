#include "wasm/system_calls.h"

#include <array>

namespace fixnet::wasm {

std::string_view wasi_call_name(WasiCall call) {
#define FIXNET_WASI_NAME(name, ret, wres, wparams, params, args) #name,
  static constexpr std::array<std::string_view, kWasiCallCount> names{FIXNET_WASI_CALLS(FIXNET_WASI_NAME)};
#undef FIXNET_WASI_NAME
  const auto i = static_cast<uint32_t>(call);
  return i < names.size() ? names[i] : std::string_view{"unknown"};
}

}  // namespace fixnet::wasm
