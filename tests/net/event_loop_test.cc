// EventLoop: fd readiness, periodic timers, removal from inside a callback, stop() from elsewhere.
#include "net/event_loop.h"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <thread>

namespace fixnet::net {
namespace {

TEST(EventLoop, DispatchesFdsAndTimersUntilStopped) {
  EventLoop loop;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  int reads = 0, ticks = 0;
  loop.add(pipe_fds[0], EPOLLIN, [&](uint32_t) {
    char c;
    if (::read(pipe_fds[0], &c, 1) == 1) ++reads;
    loop.remove(pipe_fds[0]);  // removing oneself is allowed
  });
  uint64_t timer = 0;
  timer = loop.add_timer(std::chrono::milliseconds(2), [&] {
    if (++ticks == 3) {
      loop.cancel_timer(timer);
      loop.stop();
    }
  });
  ASSERT_EQ(::write(pipe_fds[1], "ab", 2), 2);
  loop.run();
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(ticks, 3);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

TEST(EventLoop, StopFromAnotherThread) {
  EventLoop loop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    loop.stop();
  });
  loop.run();
  stopper.join();
}

}  // namespace
}  // namespace fixnet::net
