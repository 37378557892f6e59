// Cuts wasm2c's one C file into several translation units, so that a module with tens of MB of code
// compiles in parallel and in bounded memory (a C compiler's memory grows with its translation unit:
// gcc took 17 GB on yosys's 28 MB of code as one file). wabt 1.0.32's C writer has one output only,
// so its output is cut here, along the structure that writer always emits:
//
//   prelude (includes, macros, static inline helpers)          → shared header, in every unit
//   static bool s_module_initialized; static u32 func_types[N];
//   static void init_func_types(void) {…}                       → main unit
//   static RET w2c_NAME(Z_m_instance_t*, …);  one per function  → shared header (hidden, not static)
//   data segments, elem segments, init_* functions             → main unit (the arrays hidden, not static)
//   static RET w2c_NAME(Z_m_instance_t* instance, …) {…}       → function units, in order, by size
//   exports, Z_m_init_module, Z_m_instantiate, Z_m_free        → main unit
//
// Every file-scope variable a function may use (func_types, the segment arrays) is defined once, in
// the main unit, and declared extern in the shared header; everything shared between units has hidden
// visibility, so the object still exports nothing but its binder. Each step checks what it expects
// (the number of functions, declarations and definitions in the same order, balanced braces, no other
// file-scope variables); output of any other shape is not split (split_c returns the reason).
#pragma once

#include <cstddef>
#include <string>
#include <variant>
#include <vector>

namespace fixnet::wasm {

struct CFunctionPart {
  std::string text;      // function definitions, without the shared header's #include
  size_t functions = 0;  // how many
  size_t largest = 0;    // bytes of the largest function in it
  bool huge = false;     // only functions of at least SplitLimits::huge_function_bytes
};

struct SplitC {
  std::string shared;  // prelude + shared declarations: every unit includes it first
  std::string main;    // module-level definitions (types, segments, init, exports)
  std::vector<CFunctionPart> parts;
  std::string depth_field;  // the instance field wasm2c's call-depth global lives in, e.g. "w2c_g3"
};

struct SplitLimits {
  size_t part_bytes = 0;  // cut a new unit once this many bytes of functions are in one
  // Functions this large go into units of their own, compiled with huge_unit_flags() (compiler.h):
  // -O2's cost grows faster than a function's size.
  size_t huge_function_bytes = 0;
};

// `source` is wasm2c's C file for a module with `function_count` defined (not imported) functions,
// whose instrumented call-depth global is exported as `__fixnet_depth`. Returns the units, or why the
// text is not of the expected shape.
std::variant<SplitC, std::string> split_c(const std::string& source, size_t function_count,
                                          const SplitLimits& limits);

}  // namespace fixnet::wasm
