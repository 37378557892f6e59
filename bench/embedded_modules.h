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

// The bytes of example `name`; throws Error when this binary does not carry it.
std::string_view embedded_module(std::string_view name);

}  // namespace fixnet::bench
