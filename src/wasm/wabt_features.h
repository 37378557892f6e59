// The Wasm features fixnet accepts: exactly what wasm2c 1.0.32's C writer compiles. SIMD and
// reference types are off (the writer aborts on SIMD; reference types would let tables grow and hold
// host references), as are threads, exceptions, tail calls, memory64 and the other proposals.
#pragma once

#include <wabt/feature.h>

namespace fixnet::wasm {

inline wabt::Features toolchain_features() {
  wabt::Features f;
  f.disable_simd();
  f.disable_reference_types();
  f.disable_exceptions();
  f.disable_threads();
  f.disable_tail_call();
  f.disable_memory64();
  f.disable_multi_memory();
  f.disable_function_references();
  f.disable_gc();
  f.disable_relaxed_simd();
  f.disable_extended_const();
  f.disable_annotations();
  f.disable_code_metadata();
  return f;
}

}  // namespace fixnet::wasm
