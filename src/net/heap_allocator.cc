#include "net/heap_allocator.h"

#include <fmt/format.h>

#include <iterator>


namespace fixnet::net {

HeapAllocator::HeapAllocator(uint64_t capacity)
    : capacity_(capacity / kAlignment * kAlignment), free_bytes_(capacity_) {
  if (capacity_ > 0) free_.emplace(0, capacity_);
}

std::optional<uint64_t> HeapAllocator::allocate(uint64_t size) {
  if (size > capacity_) return std::nullopt;
  const uint64_t need = size == 0 ? kAlignment : (size + kAlignment - 1) / kAlignment * kAlignment;
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second < need) continue;
    const uint64_t offset = it->first;
    const uint64_t rest = it->second - need;
    free_.erase(it);
    if (rest > 0) free_.emplace(offset + need, rest);
    used_.emplace(offset, need);
    free_bytes_ -= need;
    return offset;
  }
  return std::nullopt;
}

bool HeapAllocator::free(uint64_t offset) {
  auto used = used_.find(offset);
  if (used == used_.end()) return false;
  uint64_t start = offset;
  uint64_t size = used->second;
  used_.erase(used);
  free_bytes_ += size;
  auto next = free_.lower_bound(start);
  if (next != free_.end() && next->first == start + size) {
    size += next->second;
    next = free_.erase(next);
  }
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == start) {
      start = prev->first;
      size += prev->second;
      free_.erase(prev);
    }
  }
  free_.emplace(start, size);
  return true;
}

std::optional<uint64_t> HeapAllocator::allocation_size(uint64_t offset) const {
  auto it = used_.find(offset);
  if (it == used_.end()) return std::nullopt;
  return it->second;
}

std::string HeapAllocator::check() const {
  std::map<uint64_t, std::pair<uint64_t, bool>> all;  // offset → (size, is_free)
  uint64_t free_sum = 0;
  uint64_t used_sum = 0;
  for (auto [offset, size] : free_) {
    all.emplace(offset, std::pair{size, true});
    free_sum += size;
  }
  for (auto [offset, size] : used_) {
    if (!all.emplace(offset, std::pair{size, false}).second)
      return fmt::format("offset {} is both free and allocated", offset);
    used_sum += size;
  }
  if (free_sum != free_bytes_) return fmt::format("free ranges hold {}, counter says {}", free_sum, free_bytes_);
  if (free_sum + used_sum != capacity_)
    return fmt::format("free {} + allocated {} != capacity {}", free_sum, used_sum, capacity_);
  uint64_t expect = 0;
  bool previous_free = false;
  for (auto [offset, entry] : all) {
    auto [size, is_free] = entry;
    if (offset != expect) return fmt::format("gap or overlap at {} (expected {})", offset, expect);
    if (size == 0 || offset % kAlignment != 0 || size % kAlignment != 0)
      return fmt::format("range {}+{} is empty or misaligned", offset, size);
    if (is_free && previous_free) return fmt::format("free range at {} not merged with its neighbour", offset);
    previous_free = is_free;
    expect = offset + size;
  }
  if (expect != capacity_) return fmt::format("ranges end at {}, capacity {}", expect, capacity_);
  return "";
}

}  // namespace fixnet::net
