#include "wasm/guest_api.h"

#include <array>

#include "fixnet_abi.h"

namespace fixnet::wasm {
namespace {

#define FIXNET_DESCRIBE(name, ret, wres, wparams, params, args) GuestFunction{#name, wparams, wres},
constexpr std::array kFunctions = {FIXNET_GUEST_API_FAST(FIXNET_DESCRIBE) FIXNET_GUEST_API_VALUE(FIXNET_DESCRIBE)
                                       FIXNET_GUEST_API_VOID(FIXNET_DESCRIBE)};
constexpr std::array kWasiFunctions = {FIXNET_WASI_CALLS(FIXNET_DESCRIBE)};
#undef FIXNET_DESCRIBE

template <typename List>
const GuestFunction* find_in(const List& list, std::string_view name) {
  for (const GuestFunction& f : list)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace

std::span<const GuestFunction> guest_functions() { return kFunctions; }

const GuestFunction* find_guest_function(std::string_view name) { return find_in(kFunctions, name); }

const GuestFunction* find_wasi_function(std::string_view name) { return find_in(kWasiFunctions, name); }

}  // namespace fixnet::wasm
