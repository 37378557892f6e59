// The guest API as the inspector sees it: the functions a procedure may import from module "fixnet",
// with their exact Wasm signatures (runtime/fixnet_abi.h lists them once; docs/guest-api.md documents
// them), and the WASI preview 1 functions a Flatware program may import from "wasi_snapshot_preview1"
// (runtime/wasi_abi.h). Anything else a module imports is rejected before compilation.
#pragma once

#include <span>
#include <string_view>

namespace fixnet::wasm {

inline constexpr std::string_view kGuestModule = "fixnet";
inline constexpr std::string_view kWasiModule = "wasi_snapshot_preview1";

struct GuestFunction {
  std::string_view name;
  std::string_view params;   // one letter per parameter: i = i32, I = i64
  std::string_view results;  // same letters; empty for none
};

std::span<const GuestFunction> guest_functions();
// The API function called `name`, or nullptr.
const GuestFunction* find_guest_function(std::string_view name);
// The WASI function called `name`, or nullptr.
const GuestFunction* find_wasi_function(std::string_view name);

}  // namespace fixnet::wasm
