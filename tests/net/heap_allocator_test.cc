// HeapAllocator: first fit with merging stays correct and bounded under alloc/free churn.
#include "net/heap_allocator.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace fixnet::net {
namespace {

TEST(HeapAllocator, AllocatesAlignedDisjointRangesUntilFull) {
  HeapAllocator heap(64 * 10);
  std::vector<uint64_t> got;
  while (auto offset = heap.allocate(100)) got.push_back(*offset);  // 100 → 128 bytes each
  EXPECT_EQ(got.size(), 5u);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], i * 128);
  EXPECT_EQ(heap.free_bytes(), 0u);
  EXPECT_EQ(heap.check(), "");
  EXPECT_FALSE(heap.allocate(1));
}

TEST(HeapAllocator, RefusesDoubleFreeAndMadeUpOffsets) {
  HeapAllocator heap(4096);
  auto a = heap.allocate(10);
  ASSERT_TRUE(a);
  EXPECT_FALSE(heap.free(*a + 64));
  EXPECT_FALSE(heap.free(1ull << 40));
  EXPECT_TRUE(heap.free(*a));
  EXPECT_FALSE(heap.free(*a));
  EXPECT_EQ(heap.check(), "");
  EXPECT_EQ(heap.free_bytes(), 4096u);
}

TEST(HeapAllocator, MergesNeighboursSoALargeAllocationFitsAgain) {
  HeapAllocator heap(64 * 4);
  auto a = heap.allocate(64), b = heap.allocate(64), c = heap.allocate(64), d = heap.allocate(64);
  ASSERT_TRUE(a && b && c && d);
  heap.free(*b);
  heap.free(*d);
  EXPECT_FALSE(heap.allocate(128));  // 128 free bytes, but not in one piece
  heap.free(*c);                     // b, c and d merge
  EXPECT_EQ(heap.allocate(192), *b);
  EXPECT_EQ(heap.check(), "");
}

TEST(HeapAllocator, SizesLargerThanTheHeapFail) {
  HeapAllocator heap(1024);
  EXPECT_FALSE(heap.allocate(1025));
  EXPECT_FALSE(heap.allocate(UINT64_MAX));  // no overflow in the rounding
  EXPECT_TRUE(heap.allocate(1024));
}

TEST(HeapAllocator, ChurnKeepsInvariantsAndReturnsToOneRange) {
  constexpr uint64_t kCapacity = 1 << 20;
  HeapAllocator heap(kCapacity);
  std::mt19937_64 random(7);
  std::vector<std::pair<uint64_t, uint64_t>> live;  // offset, requested size
  std::vector<uint8_t> owner(kCapacity / 64, 0);      // which unit belongs to a live allocation
  for (int step = 0; step < 50000; ++step) {
    const bool grow = live.empty() || (random() % 100) < 55;
    if (grow) {
      const uint64_t size = (random() % 4 == 0) ? random() % 65536 : random() % 512;
      auto offset = heap.allocate(size);
      if (!offset) continue;  // full: fine, bounded
      ASSERT_EQ(*offset % 64, 0u);
      ASSERT_LE(*offset + size, kCapacity);
      for (uint64_t u = *offset / 64; u < (*offset + std::max<uint64_t>(size, 1) + 63) / 64; ++u) {
        ASSERT_EQ(owner[u], 0) << "allocation overlaps a live one at step " << step;
        owner[u] = 1;
      }
      live.emplace_back(*offset, size);
    } else {
      const size_t pick = random() % live.size();
      auto [offset, size] = live[pick];
      ASSERT_TRUE(heap.free(offset));
      for (uint64_t u = offset / 64; u < (offset + std::max<uint64_t>(size, 1) + 63) / 64; ++u) owner[u] = 0;
      live[pick] = live.back();
      live.pop_back();
    }
    if (step % 997 == 0) {
      ASSERT_EQ(heap.check(), "") << "at step " << step;
    }
  }
  for (auto [offset, size] : live) ASSERT_TRUE(heap.free(offset));
  EXPECT_EQ(heap.check(), "");
  EXPECT_EQ(heap.free_bytes(), kCapacity);
  EXPECT_EQ(heap.allocate(kCapacity), 0u);  // everything merged back into one range
}

}  // namespace
}  // namespace fixnet::net
