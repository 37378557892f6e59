// Read, validate and inspect a Wasm module: the first stage of the trusted toolchain, and the only one
// that sees outside bytes (so it is the one the fuzz target drives).
//
// check_module() accepts a module only if wabt reads and validates it with fixnet's feature set
// (the MVP plus mutable globals, sign extension, saturating conversions, multi-value and bulk memory:
// what wasm2c 1.0.32 compiles), and it is either
//   - a procedure: exports "_fixnet_apply" as a function (i32) -> i32 and imports only functions of
//     the guest API, from module "fixnet", with their exact signatures; or
//   - a Flatware program: exports "_start" as a function () -> () (and no "_fixnet_apply") and
//     imports only WASI preview 1 functions, from "wasi_snapshot_preview1", with their exact signatures;
// and it
//   - has at most one memory of at most 65535 pages, at most one table of at most 2^20 elements;
//   - has no start function (it would run outside any invocation's limits);
//   - exports nothing under the reserved "__fixnet_";
//   - keeps every function under 50000 params + locals and 4096 nested blocks, and every type under
//     64 params + results.
// Anything else throws ProcedureError with one line saying what is wrong: a module is a value, so its
// rejection is deterministic and memoized like any error value.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

namespace wabt {
struct Module;
}

namespace fixnet::wasm {

// What the sandbox needs to know about a module to reset a pooled instance cheaply.
struct ModuleFacts {
  bool imports_fixnet = false;   // wasm2c's instantiate then takes the guest API env
  bool imports_wasi = false;     // … or the WASI env
  bool is_program = false;       // a Flatware program (entry "_start")
  bool may_write_table = false;  // any table.init/copy/set/fill/grow, elem.drop (memory writes are
                                 // tracked per call by instrumentation instead)
};

struct CheckedModule {
  CheckedModule();
  CheckedModule(CheckedModule&&) noexcept;
  CheckedModule& operator=(CheckedModule&&) noexcept;
  ~CheckedModule();
  std::unique_ptr<wabt::Module> module;
  ModuleFacts facts;
};

CheckedModule check_module(std::string_view bytes);

}  // namespace fixnet::wasm
