// The fixed numbers of the sandbox. They are part of what a computation means — a procedure that runs
// out of fuel under the default fuel traps on every fixnet — so they are constants, documented in
// docs/wasm.md, and changing one is a format change.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/procedure.h"

namespace fixnet::wasm {

inline constexpr uint64_t kPageBytes = 65536;
// wasm2c's memory size is a u32, so one page less than 4 GiB is the most any module can have.
inline constexpr uint64_t kMaxMemoryPages = 65535;
inline constexpr uint64_t kDefaultMemoryBytes = uint64_t{256} << 20;
inline constexpr uint64_t kDefaultFuel = uint64_t{1} << 32;
inline constexpr uint64_t kMaxFuel = INT64_MAX;             // the counter is an i64 in the instance
inline constexpr uint32_t kMaxCallDepth = 1024;             // nested wasm calls
inline constexpr uint32_t kMaxHandles = uint32_t{1} << 22;  // per invocation
inline constexpr uint32_t kMaxTableElements = uint32_t{1} << 20;
inline constexpr uint32_t kMaxLocals = 50000;       // params + locals of one function
inline constexpr uint32_t kMaxSignatureTypes = 64;  // params + results of one function type
inline constexpr uint32_t kMaxNesting = 4096;       // nested blocks, loops and ifs in one function
// Native stack for guest code: depth × frame must fit, so the compiler is told to refuse bigger
// frames (a module whose frames are bigger on this machine fails to compile: an environment failure).
inline constexpr size_t kGuestStackBytes = size_t{64} << 20;
inline constexpr size_t kGuestStackHeadroom = size_t{2} << 20;  // for host functions and libc
inline constexpr size_t kMaxFrameBytes = (kGuestStackBytes - kGuestStackHeadroom) / kMaxCallDepth;

// Limits of an invocation with the defaults applied (0 means the default) and the caps enforced.
struct EffectiveLimits {
  uint64_t memory_bytes;
  uint64_t fuel;
};

inline EffectiveLimits effective(const Limits& limits) {
  uint64_t memory = limits.memory_bytes ? limits.memory_bytes : kDefaultMemoryBytes;
  if (memory > kMaxMemoryPages * kPageBytes) memory = kMaxMemoryPages * kPageBytes;
  uint64_t fuel = limits.fuel ? limits.fuel : kDefaultFuel;
  if (fuel > kMaxFuel) fuel = kMaxFuel;
  return {memory, fuel};
}

}  // namespace fixnet::wasm
