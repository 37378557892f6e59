#include "core/thread_counter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace fixnet {
namespace {

TEST(ThreadCounter, CountsEveryIncrementOfManyThreads) {
  // More threads than slots, so the shared overflow slot is used too.
  ThreadCounter counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < 40; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) counter.add();
    });
  for (auto& t : threads) t.join();
  counter.add(5);
  EXPECT_EQ(counter.load(), 40u * 10000 + 5);
}

}  // namespace
}  // namespace fixnet
