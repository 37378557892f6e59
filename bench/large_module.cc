#include "bench/large_module.h"

#include <fmt/format.h>

#include "wasm/wat.h"

namespace fixnet::bench {
namespace {

// One function of 20 load-add-multiply-store groups: about 600 bytes of Wasm.
std::string function_text(size_t i) {
  std::string text = fmt::format("(func $f{} (param i32) (result i32) (local i32)\n", i);
  for (size_t k = 0; k < 20; ++k)
    text += fmt::format(
        "(local.set 1 (i32.add (i32.load offset={} (local.get 0)) (i32.const {})))\n"
        "(i32.store offset={} (local.get 0) (i32.mul (local.get 1) (i32.const 3)))\n",
        k * 4, i + k, k * 4 + 4);
  return text + "(local.get 1))\n";
}

}  // namespace

std::string large_module(size_t min_bytes) {
  constexpr const char* kApply = R"((func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))";
  std::string functions;
  size_t count = 0;
  // The text is about 6.5 times the binary: aim for that, and add an eighth more while short.
  for (size_t text_bytes = min_bytes * 7;; text_bytes += text_bytes / 8) {
    while (functions.size() < text_bytes) functions += function_text(count++);
    std::string module = wasm::wat_to_wasm("(module (memory 1)\n" + functions + kApply + ")");
    if (module.size() >= min_bytes) return module;
  }
}

}  // namespace fixnet::bench
