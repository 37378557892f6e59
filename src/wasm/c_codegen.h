// wasm2c as a library: a checked, instrumented module becomes C (wasm2c's output plus the glue) and
// wasm2c's header. A module with little code is one translation unit; one with more than
// SplitLimits::part_bytes of C is cut into a main unit and function units that share a header
// (c_split.h), compiled in parallel and linked into one object. The files the units include — "m.h"
// (the header), kSharedHeaderName, "fixnet_abi.h" (abi_header_text()) and "wasi_abi.h" — must sit
// beside them when they are compiled.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "wasm/c_split.h"
#include "wasm/instrument.h"
#include "wasm/module_check.h"

namespace fixnet::wasm {

inline constexpr const char* kGeneratedHeaderName = "m.h";
// Changes whenever the C this file generates changes: part of the toolchain version, so artifacts
// compiled from older C are not reused.
inline constexpr int kCodegenVersion = 3;
// The active data segments' bytes, which the source includes with the assembler's .incbin (found on
// the assembler's include path: compile with -Wa,-I<the source's directory>).
inline constexpr const char* kDataImageName = "data.bin";

// What the function units share (c_split.h), when there are any.
inline constexpr const char* kSharedHeaderName = "module_shared.h";

struct GeneratedC {
  std::string header;  // write as kGeneratedHeaderName
  std::string source;  // the main unit: the whole module when `parts` is empty
  std::string shared;  // write as kSharedHeaderName (empty when `parts` is)
  std::vector<CFunctionPart> parts;  // function units, each text starting with the shared #include
  std::string data_image;  // write as kDataImageName
  std::string not_split;   // why the module is one unit: small, or output of an unexpected shape
};

// Throws ProcedureError if an active data segment does not fit the initial memory: the instantiation
// would fail, so the module is refused instead (both engines, before they run anything).
void check_data_segments(const wabt::Module& module);

// Moves the active data segments out of `module` (wasm2c would write them as C arrays, which a
// compiler takes minutes over for a large module) and translates it. Throws ProcedureError if a
// segment does not fit the initial memory (the instantiation would fail) or wabt's C writer refuses
// the module.
GeneratedC generate_c(std::unique_ptr<wabt::Module> module, const ModuleFacts& facts,
                      const Instrumented& instrumented, const SplitLimits& limits);

}  // namespace fixnet::wasm
