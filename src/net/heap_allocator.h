// HeapAllocator: hands out byte ranges of a fixed-size shared region by offset — first fit over an
// address-ordered free list, with freed ranges merged into their free neighbours.
//
// The bookkeeping lives in this object's private memory, never inside the region: whoever else can
// write the region (the other process) cannot corrupt the allocator. Offsets, not pointers, are what
// cross a process boundary; the owner turns them into addresses in its own mapping.
// Bounded: the capacity is fixed and allocate() answers nullopt when no free range fits.
// Every range starts and ends on kAlignment (one cache line), so no two messages share a line.
// Not thread-safe: one owner (an application's connection, or one datapath) uses it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

namespace fixnet::net {

class HeapAllocator {
 public:
  static constexpr uint64_t kAlignment = 64;

  explicit HeapAllocator(uint64_t capacity);  // rounded down to kAlignment

  // The offset of `size` fresh bytes (size 0 takes one unit), or nullopt when nothing fits.
  std::optional<uint64_t> allocate(uint64_t size);
  // Frees the allocation that starts at `offset`. False, and nothing changes, when none does: a
  // double free or a made-up offset is refused, not trusted.
  bool free(uint64_t offset);
  // The (aligned) size of the allocation starting at `offset`, if one does.
  std::optional<uint64_t> allocation_size(uint64_t offset) const;

  uint64_t capacity() const { return capacity_; }
  uint64_t free_bytes() const { return free_bytes_; }
  size_t allocations() const { return used_.size(); }
  // "" when the invariants hold (ranges disjoint, inside capacity, free ranges merged, byte counts
  // add up); otherwise what is wrong. For tests.
  std::string check() const;

 private:
  std::map<uint64_t, uint64_t> free_;            // offset → size, in address order
  std::unordered_map<uint64_t, uint64_t> used_;  // offset → size
  uint64_t capacity_;
  uint64_t free_bytes_;
};

}  // namespace fixnet::net
