// wasm2c as a library: a checked, instrumented module becomes one C translation unit (wasm2c's output
// plus the glue) and wasm2c's header. The files it includes — "m.h" (the header) and "fixnet_abi.h"
// (abi_header_text()) — must sit beside the source when it is compiled.
#pragma once

#include <string>

#include "wasm/instrument.h"
#include "wasm/module_check.h"

namespace fixnet::wasm {

inline constexpr const char* kGeneratedHeaderName = "m.h";
// Changes whenever the C this file generates changes: part of the toolchain version, so artifacts
// compiled from older C are not reused.
inline constexpr int kCodegenVersion = 2;
// The active data segments' bytes, which the source includes with the assembler's .incbin (found on
// the assembler's include path: compile with -Wa,-I<the source's directory>).
inline constexpr const char* kDataImageName = "data.bin";

struct GeneratedC {
  std::string header;  // write as kGeneratedHeaderName
  std::string source;
  std::string data_image;  // write as kDataImageName
};

// Moves the active data segments out of `module` (wasm2c would write them as C arrays, which a
// compiler takes minutes over for a large module) and translates it. Throws ProcedureError if a
// segment does not fit the initial memory (the instantiation would fail) or wabt's C writer refuses
// the module.
GeneratedC generate_c(wabt::Module& module, const ModuleFacts& facts, const Instrumented& instrumented);

}  // namespace fixnet::wasm
