#include "core/name_map.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/read_section.h"

namespace fixnet {
namespace {

Name key(uint64_t i) { return Name::blob_name("key number " + std::to_string(i) + " (long enough to be hashed)"); }

TEST(NameMap, InsertsReadsReplacesErasesAndClears) {
  NameMap<Name> map;
  EXPECT_FALSE(map.get(key(1)));
  EXPECT_TRUE(map.insert(key(1), key(100)));
  EXPECT_FALSE(map.insert(key(1), key(200)));  // present: kept
  EXPECT_EQ(map.get(key(1)), key(100));
  map.assign(key(1), key(300));
  EXPECT_EQ(map.get(key(1)), key(300));
  for (uint64_t i = 2; i < 5000; ++i) map.insert(key(i), key(i + 100000));  // grows every shard
  EXPECT_EQ(map.size(), 4999u);
  for (uint64_t i = 2; i < 5000; ++i) ASSERT_EQ(map.get(key(i)), key(i + 100000)) << i;
  for (uint64_t i = 2; i < 5000; i += 2) EXPECT_TRUE(map.erase(key(i)));
  EXPECT_FALSE(map.erase(key(2)));
  for (uint64_t i = 2; i < 5000; ++i) ASSERT_EQ(map.contains(key(i)), i % 2 == 1) << i;
  // Erased keys leave tombstones; inserting past them and growing keeps every entry findable.
  for (uint64_t i = 2; i < 5000; i += 2) map.insert(key(i), key(i));
  for (uint64_t i = 2; i < 5000; ++i) ASSERT_EQ(map.get(key(i)), key(i % 2 ? i + 100000 : i)) << i;
  size_t seen = 0;
  map.for_each([&](Name, Name) { ++seen; });
  EXPECT_EQ(seen, map.size());
  map.clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_FALSE(map.contains(key(3)));
  EXPECT_TRUE(map.insert(key(3), key(4)));
}

// Readers copy values (shared_ptr: a freed node would be a use after free, which the sanitizer build
// of these tests reports) while writers insert, replace, erase and grow the same keys.
TEST(NameMap, ReadersNeverSeeFreedOrTornEntriesWhileWritersChurn) {
  using Value = std::shared_ptr<const std::string>;
  NameMap<Value> map;
  constexpr uint64_t kKeys = 2000;
  auto value_of = [](uint64_t i, int version) {
    return std::make_shared<const std::string>(std::to_string(i) + "/" + std::to_string(version));
  };
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0}, bad{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, r] {
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const uint64_t i = (n++ * 7 + r) % kKeys;
        if (auto v = map.get(key(i))) {
          const std::string prefix = std::to_string(i) + "/";
          if ((*v)->compare(0, prefix.size(), prefix) != 0) bad.fetch_add(1);
          reads.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  for (int w = 0; w < 2; ++w)
    threads.emplace_back([&, w] {
      for (int round = 0; round < 30; ++round)
        for (uint64_t i = w; i < kKeys; i += 2) {
          if (round % 3 == 2)
            map.erase(key(i));
          else
            map.assign(key(i), value_of(i, round));
        }
    });
  threads[2].join();
  threads[3].join();
  stop = true;
  threads[0].join();
  threads[1].join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(reads.load(), 0u);
  for (uint64_t i = 0; i < kKeys; ++i) EXPECT_FALSE(map.contains(key(i))) << i;  // round 29 erased all
}

// Runs `open` (which opens a section and keeps it open until `leave`) on a thread, then a writer's
// wait_for_readers() on another: true if the writer stayed waiting while the section was open and
// returned once it closed. Whatever the timing, a correct writer cannot return early.
template <class Open>
bool writer_waits_for(Open open) {
  std::atomic<bool> inside{false}, leave{false}, waited{false};
  std::thread reader([&] { open(inside, leave); });
  while (!inside) std::this_thread::yield();
  std::thread writer([&] {
    wait_for_readers();
    waited = true;
  });
  bool early = false;
  for (int i = 0; i < 1000; ++i) {
    early = early || waited.load();
    std::this_thread::yield();
  }
  leave = true;
  reader.join();
  writer.join();
  return !early && waited.load();
}

TEST(ReadSection, WaitForReadersWaitsForASectionOpenInAnotherThread) {
  EXPECT_TRUE(writer_waits_for([](std::atomic<bool>& inside, std::atomic<bool>& leave) {
    ReadSection section;
    inside = true;
    while (!leave) std::this_thread::yield();
  }));
}

TEST(ReadSection, AnInnerSectionClosingLeavesTheOuterOneOpen) {
  EXPECT_TRUE(writer_waits_for([](std::atomic<bool>& inside, std::atomic<bool>& leave) {
    ReadSection outer;
    { ReadSection inner; }
    inside = true;
    while (!leave) std::this_thread::yield();
  }));
}

}  // namespace
}  // namespace fixnet
