// Reading WASI argument structures out of guest memory. Every range is checked before the call acts,
// so a bad pointer (GuestFault → EFAULT) leaves no partial effect behind.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wasm/guest_memory.h"

namespace fixnet::flatware {

struct IoSlice {
  uint64_t addr;
  uint32_t len;
};

struct IoVector {
  std::vector<IoSlice> slices;
  uint64_t total = 0;
};

// The `count` iovecs at `iovs`, each buffer checked to lie inside the memory.
IoVector read_iovecs(const wasm::GuestMemory& m, uint64_t iovs, uint64_t count);

// Concatenates the buffers of a ciovec list.
std::string gather(const wasm::GuestMemory& m, const IoVector& io);

// Copies `bytes` into the buffers of an iovec list, in order; returns how many were copied.
uint64_t scatter(wasm::GuestMemory& m, const IoVector& io, std::string_view bytes);

// Checks that [addr, addr + len) lies inside the memory, without touching it.
inline void check_range(const wasm::GuestMemory& m, uint64_t addr, uint64_t len) { m.read(addr, len); }

// Lays out NUL-terminated strings at `buf` and their addresses at `ptrs` (args_get, environ_get).
void write_string_list(wasm::GuestMemory& m, const std::vector<std::string>& strings, uint64_t ptrs,
                       uint64_t buf);
// The counts args_sizes_get and environ_sizes_get report: number of strings, bytes with NULs.
void write_string_list_sizes(wasm::GuestMemory& m, const std::vector<std::string>& strings,
                             uint64_t count_ptr, uint64_t size_ptr);

}  // namespace fixnet::flatware
