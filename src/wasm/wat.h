// The WebAssembly text format, for writing small procedures by hand (tests, the hostile corpus, quick
// experiments): wat_to_wasm() assembles a module with libwabt, all features wabt knows enabled, so
// the result can be anything the toolchain must then accept or reject.
#pragma once

#include <string>
#include <string_view>

namespace fixnet::wasm {

// Throws InputError with wabt's first message when the text does not parse.
std::string wat_to_wasm(std::string_view wat);

}  // namespace fixnet::wasm
