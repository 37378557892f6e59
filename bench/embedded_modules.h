// The example procedures (examples/*.c, built to .wasm by fixnet_add_procedure) embedded in the binary
// at build time (cmake/EmbedProcedures.cmake), so `fixnet bench` needs no source or build tree.
#pragma once

#include <string_view>
#include <vector>

namespace fixnet::bench {

struct EmbeddedModule {
  std::string_view name;   // the example's name: "add", "fib", …
  std::string_view bytes;  // its Wasm module
};

// Every example, in examples/CMakeLists.txt's order.
const std::vector<EmbeddedModule>& embedded_modules();
// The Flatware benchmark's WASI programs (tests/flatware/programs: add, sort) and their C sources.
const std::vector<EmbeddedModule>& embedded_programs();
const std::vector<EmbeddedModule>& embedded_program_sources();

// The bytes of `name` in `list` (by default the examples); throws Error when this binary does not
// carry it.
std::string_view embedded_module(std::string_view name,
                                 const std::vector<EmbeddedModule>& list = embedded_modules());

}  // namespace fixnet::bench
