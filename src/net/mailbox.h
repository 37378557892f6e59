// Mailbox<T>: hands items from any thread to one consumer that must never block (an RPC engine on
// its runtime thread). push() locks a mutex only to append; the consumer's take() costs one atomic
// load while the mailbox is empty, so a polling consumer may call it on every pass. fd() is an
// eventfd, readable while items wait: a consumer that sleeps in epoll watches it (level-triggered).
//
// No lost wake-up: `signalled_`, the eventfd's count and the items change together under the mutex
// (the flag is raised and the eventfd written with the first item after a take; a take lowers the
// flag, drains the eventfd and takes the items), so the eventfd is readable exactly while items
// wait. (Raising the flag outside the mutex let a take drain a producer's write whose flag stayed
// raised: the next push saw it raised and did not write, and its item slept.)
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <mutex>

#include "net/system_error.h"
#include "net/unique_fd.h"

namespace fixnet::net {

template <class T>
class Mailbox {
 public:
  Mailbox() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!fd_) throw_system_error("eventfd", "a mailbox");
  }
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  int fd() const { return fd_.get(); }

  void push(T item) {
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(item));
    if (!signalled_.load(std::memory_order_relaxed)) {
      signalled_.store(true, std::memory_order_release);
      const uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(fd_.get(), &one, sizeof one);
    }
  }

  // Everything pushed so far (in order), or nothing.
  std::deque<T> take() {
    if (!signalled_.load(std::memory_order_acquire)) return {};
    std::deque<T> out;
    std::lock_guard lock(mutex_);
    uint64_t count;
    [[maybe_unused]] auto n = ::read(fd_.get(), &count, sizeof count);
    signalled_.store(false, std::memory_order_relaxed);
    out.swap(items_);
    return out;
  }

 private:
  UniqueFd fd_;
  std::atomic<bool> signalled_{false};
  std::mutex mutex_;
  std::deque<T> items_;
};

}  // namespace fixnet::net
