#include "core/memory_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/error.h"
#include "core/relation.h"
#include "core/thread_pool.h"

namespace fixnet {
namespace {

TEST(MemoryStore, RoundTripsBlobsAndTrees) {
  MemoryStore s;
  Name b = s.put_blob(std::string(100, 'x'));
  Name t = s.put_tree({b, Name::blob_name("lit")});
  EXPECT_EQ(*s.get_blob(b), std::string(100, 'x'));
  EXPECT_EQ(s.get_tree(t)->at(0), b);
  EXPECT_EQ(s.get_tree(t.application())->size(), 2u);  // a thunk's content is its Tree
  EXPECT_EQ(*s.get_blob(Name::blob_name("lit")), "lit");  // literals need no storage
  EXPECT_EQ(s.object_count(), 2u);
}

TEST(MemoryStore, MissingAndWrongKindAreErrors) {
  MemoryStore s;
  EXPECT_THROW(s.get_blob(Name::blob_name(std::string(40, 'n'))), NotFoundError);
  Name t = s.put_tree({});
  EXPECT_THROW(s.get_blob(t), InputError);
  EXPECT_FALSE(s.contains(Name::blob_name(std::string(40, 'n'))));
}

// Grows with the workload: no fixed capacity, many threads at once.
TEST(MemoryStore, ConcurrentPutsAndGetsGrowWithoutLimit) {
  MemoryStore s;
  constexpr int kThreads = 4, kPerThread = 50000;
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string bytes = "object number " + std::to_string(t) + "/" + std::to_string(i) + std::string(20, '.');
        Name n = s.put_blob(bytes);
        if (*s.get_blob(n) != bytes) ++bad;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(s.object_count(), size_t{kThreads} * kPerThread);
}

TEST(MemoryRelations, PutGetForEach) {
  MemoryRelations r;
  Name k = Name::blob_name("k"), v = Name::blob_name("v");
  r.put(Relation::Think, k.identification(), v);
  r.put(Relation::Eval, k, v);
  EXPECT_EQ(r.get(Relation::Think, k.identification()), v);
  EXPECT_FALSE(r.get(Relation::Think, k));
  int n = 0;
  r.for_each([&](Relation, Name, Name) { ++n; });
  EXPECT_EQ(n, 2);
}

TEST(ThreadPool, ParallelForRunsEveryIndexOnceAndNests) {
  ThreadPool pool(2);
  std::vector<std::atomic<int>> hits(10000);
  pool.parallel_for(100, 1, [&](size_t i) {
    pool.parallel_for(100, 10, [&](size_t j) { hits[i * 100 + j]++; });
  });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(ThreadPool, ExceptionsReachTheCaller) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(1000, 10, [](size_t i) { if (i == 777) throw InputError("777"); }), InputError);
}

}  // namespace
}  // namespace fixnet
