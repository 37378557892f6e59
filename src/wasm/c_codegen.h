// wasm2c as a library: a checked, instrumented module becomes one C translation unit (wasm2c's output
// plus the glue) and wasm2c's header. The files it includes — "m.h" (the header) and "fixnet_abi.h"
// (abi_header_text()) — must sit beside the source when it is compiled.
#pragma once

#include <string>

#include "wasm/instrument.h"
#include "wasm/module_check.h"

namespace fixnet::wasm {

inline constexpr const char* kGeneratedHeaderName = "m.h";

struct GeneratedC {
  std::string header;  // write as kGeneratedHeaderName
  std::string source;
};

// Throws ProcedureError if wabt's C writer refuses the module.
GeneratedC generate_c(wabt::Module& module, const ModuleFacts& facts, const Instrumented& instrumented);

}  // namespace fixnet::wasm
