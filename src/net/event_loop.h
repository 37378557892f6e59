// EventLoop: one thread's epoll loop over file descriptors and timers — the control side of a
// service (accepting connections, noticing a peer hang up, periodic work). Datapaths do not run
// here: they run on runtime threads that poll shared memory.
//
// Callbacks run on the thread inside run(), one at a time; they may add and remove fds and timers,
// including their own. stop() may be called from any thread and from a signal handler.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "net/unique_fd.h"

namespace fixnet::net {

class EventLoop {
 public:
  using FdCallback = std::function<void(uint32_t events)>;  // EPOLLIN, EPOLLHUP, …

  EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Watches `fd` (not owned) for `events` (level-triggered). Throws EnvironmentError.
  void add(int fd, uint32_t events, FdCallback callback);
  void remove(int fd);  // no-op for an fd not watched
  // Calls `callback` every `interval` until cancelled; returns the timer's id.
  uint64_t add_timer(std::chrono::nanoseconds interval, std::function<void()> callback);
  void cancel_timer(uint64_t id);

  void run();   // until stop(); returns at once if stop() came first
  void stop();  // thread-safe, async-signal-safe

 private:
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd that stop() writes
  std::map<int, std::shared_ptr<FdCallback>> callbacks_;
  std::map<uint64_t, UniqueFd> timers_;  // id → timerfd
  uint64_t next_timer_ = 1;
};

}  // namespace fixnet::net
