// GuestMemory: a guest's linear memory as a host function sees it during one call. Every access is
// bounds-checked against the memory's current size (it may have grown since the last call), and every
// write marks the chunks it touches as dirty, so the pooled instance's reset restores them (instance.h).
//
// An access outside the memory throws GuestFault; the caller decides what it means (a trap for the
// guest API, EFAULT for a WASI call).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace fixnet::wasm {

struct GuestFault {
  uint64_t addr;
  uint64_t len;
};

class GuestMemory {
 public:
  // `dirty` may be null (no tracking: tests, or memories that are always fully reset).
  GuestMemory(uint8_t* data, uint64_t size, uint64_t* dirty, uint32_t dirty_shift)
      : data_(data), size_(size), dirty_(dirty), dirty_shift_(dirty_shift) {}

  uint64_t size() const { return size_; }

  const uint8_t* read(uint64_t addr, uint64_t len) const {
    check(addr, len);
    return data_ + addr;
  }
  std::string_view read_string(uint64_t addr, uint64_t len) const {
    return {reinterpret_cast<const char*>(read(addr, len)), len};
  }
  uint8_t* write(uint64_t addr, uint64_t len) {
    check(addr, len);
    if (len) mark_dirty(addr, len);
    return data_ + addr;
  }
  void write_bytes(uint64_t addr, const void* src, uint64_t len) {
    if (len) std::memcpy(write(addr, len), src, len);
  }

  // Little-endian scalars, as Wasm lays them out.
  template <typename T>
  T load(uint64_t addr) const {
    T v;
    std::memcpy(&v, read(addr, sizeof v), sizeof v);
    return v;
  }
  template <typename T>
  void store(uint64_t addr, T v) {
    std::memcpy(write(addr, sizeof v), &v, sizeof v);
  }

 private:
  void check(uint64_t addr, uint64_t len) const {
    if (addr > size_ || len > size_ - addr) throw GuestFault{addr, len};
  }
  void mark_dirty(uint64_t addr, uint64_t len) {
    if (!dirty_) return;
    const uint64_t first = addr >> dirty_shift_, last = (addr + len - 1) >> dirty_shift_;
    if (last - first >= 63) {
      *dirty_ = ~uint64_t{0};
      return;
    }
    for (uint64_t chunk = first; chunk <= last; ++chunk) *dirty_ |= uint64_t{1} << (chunk & 63);
  }

  uint8_t* data_;
  uint64_t size_;
  uint64_t* dirty_;
  uint32_t dirty_shift_;
};

}  // namespace fixnet::wasm
