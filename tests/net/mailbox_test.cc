// Mailbox: items in order, the eventfd readable exactly while items wait, and no lost wake-up with
// producers on other threads while the consumer sleeps in poll on the eventfd between takes.
#include "net/mailbox.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <thread>
#include <vector>

namespace fixnet::net {
namespace {

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

TEST(Mailbox, TakesInOrderAndSignalsOnlyWhileItemsWait) {
  Mailbox<int> box;
  EXPECT_FALSE(readable(box.fd()));
  EXPECT_TRUE(box.take().empty());
  box.push(1);
  box.push(2);
  EXPECT_TRUE(readable(box.fd()));
  const auto items = box.take();
  EXPECT_EQ(std::vector<int>(items.begin(), items.end()), (std::vector<int>{1, 2}));
  EXPECT_FALSE(readable(box.fd()));
  EXPECT_TRUE(box.take().empty());
}

TEST(Mailbox, NoLostWakeUpWithProducerThreads) {
  constexpr int kProducers = 3, kItems = 20000;
  Mailbox<int> box;
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p)
    producers.emplace_back([&, p] {
      for (int i = 0; i < kItems; ++i) box.push(p * kItems + i);
    });
  std::vector<int> next(kProducers, 0);  // each producer's items arrive in its order
  int taken = 0;
  while (taken < kProducers * kItems) {
    // Sleep like a runtime: block on the eventfd (a lost wake-up would hang here, and the test time out).
    pollfd p{box.fd(), POLLIN, 0};
    ASSERT_GE(::poll(&p, 1, 10000), 1)
        << "no wake-up with " << kProducers * kItems - taken << " items pushed";
    for (int item : box.take()) {
      const int producer = item / kItems;
      ASSERT_EQ(item % kItems, next[producer]++);
      ++taken;
    }
  }
  for (auto& t : producers) t.join();
  EXPECT_TRUE(box.take().empty());
}

}  // namespace
}  // namespace fixnet::net
