#include "wasm/guest_api.h"

#include <array>

#include "fixnet_abi.h"

namespace fixnet::wasm {
namespace {

#define FIXNET_DESCRIBE(name, ret, wres, wparams, params, args) GuestFunction{#name, wparams, wres},
constexpr std::array kFunctions = {FIXNET_GUEST_API_VALUE(FIXNET_DESCRIBE)
                                       FIXNET_GUEST_API_VOID(FIXNET_DESCRIBE)};
#undef FIXNET_DESCRIBE

}  // namespace

std::span<const GuestFunction> guest_functions() { return kFunctions; }

const GuestFunction* find_guest_function(std::string_view name) {
  for (const GuestFunction& f : kFunctions)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace fixnet::wasm
