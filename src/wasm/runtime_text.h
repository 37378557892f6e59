// The C texts the toolchain compiles beside every module (src/wasm/runtime/, embedded at build time).
#pragma once

#include <string_view>

namespace fixnet::wasm {

std::string_view abi_header_text();  // runtime/fixnet_abi.h: the host/object interface
std::string_view glue_text();        // runtime/glue.c: wasm-rt and guest API forwarding, the binder
std::string_view wasi_header_text();  // runtime/wasi_abi.h: the WASI calls (included by fixnet_abi.h)
std::string_view guest_header_text();  // include/fixnet/guest.h: the kind constants the glue answers with

}  // namespace fixnet::wasm
