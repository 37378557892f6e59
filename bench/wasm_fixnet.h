// A fixnet that runs Wasm procedures, wired as `fixnet eval` wires it (docs/wasm.md, "Wiring"): the
// built-in natives and a WasmRunner behind one ProcedureDispatcher, over a MemoryStore and
// MemoryRelations. Its compile cache is a temporary directory, so every run compiles from scratch.
#pragma once

#include <string_view>

#include "bench/temp_dir.h"
#include "core/memory_store.h"
#include "core/procedure.h"
#include "core/relation.h"
#include "wasm/wasm_runner.h"

namespace fixnet::bench {

struct WasmFixnet {
  // `engine`: what runs the procedures (compiled code unless told).
  explicit WasmFixnet(wasm::Engine engine = wasm::Engine::Native);
  WasmFixnet(const WasmFixnet&) = delete;
  WasmFixnet& operator=(const WasmFixnet&) = delete;

  // Puts embedded example `name` (bench/embedded_modules.h) in the store, compiles and loads it (not
  // what a benchmark times; unless the engine is the interpreter) and returns its Name.
  Name example(std::string_view name);

  const wasm::Engine engine;
  TempDir cache;
  MemoryStore store;
  MemoryRelations relations;
  NativeProcedures natives;
  wasm::WasmRunner runner;
  ProcedureDispatcher dispatcher;
};

// A u8 and a u64 literal Blob (the examples take unsigned little-endian integers).
Name u8_literal(uint8_t v);
Name u64_literal(uint64_t v);

}  // namespace fixnet::bench
