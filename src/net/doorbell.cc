#include "net/doorbell.h"

#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "net/system_error.h"

namespace fixnet::net {

bool poll_pause() {
  const auto start = std::chrono::steady_clock::now();
  ::sched_yield();
  return std::chrono::steady_clock::now() - start > kSharedCoreYield;
}

UniqueFd Doorbell::make_eventfd() {
  UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) throw_system_error("eventfd", "a doorbell");
  return fd;
}

void Doorbell::ring() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (flag_->exchange(0, std::memory_order_seq_cst) == 0) return;
  const uint64_t one = 1;
  // EAGAIN means the counter is already huge: the consumer wakes anyway.
  if (::write(fd_.get(), &one, sizeof one) == sizeof one) ++wakeups_sent_;
}

void Doorbell::announce_sleep() {
  flag_->store(1, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

void Doorbell::cancel_sleep() { flag_->store(0, std::memory_order_relaxed); }

void Doorbell::acknowledge() {
  flag_->store(0, std::memory_order_relaxed);
  // One read takes the whole counter (the eventfd is not a semaphore) and resets it; a second would
  // only say EAGAIN, and a system call is a microsecond on this kind of host.
  uint64_t count;
  [[maybe_unused]] ssize_t n = ::read(fd_.get(), &count, sizeof count);
}

Doorbell::Wake Doorbell::block(std::chrono::milliseconds timeout, int other_fd) {
  pollfd fds[2] = {{fd_.get(), POLLIN, 0}, {other_fd, POLLIN, 0}};
  const nfds_t n = other_fd >= 0 ? 2 : 1;
  const int ms = timeout.count() < 0 ? -1 : static_cast<int>(timeout.count());
  int r;
  do {
    r = ::poll(fds, n, ms);
  } while (r < 0 && errno == EINTR);
  if (r < 0) throw_system_error("poll", "a doorbell");
  acknowledge();
  if (n == 2 && fds[1].revents != 0) return Wake::kOtherFd;
  return r == 0 ? Wake::kTimeout : Wake::kRung;
}

Doorbell::Wake Doorbell::wait(const std::function<bool()>& ready, std::chrono::nanoseconds spin,
                              std::chrono::milliseconds timeout, int other_fd) {
  using Clock = std::chrono::steady_clock;
  const auto give_up = timeout.count() < 0 ? Clock::time_point::max() : Clock::now() + timeout;
  for (;;) {
    const auto spin_end = Clock::now() + spin;
    do {
      if (ready()) return Wake::kRung;
      if (poll_pause()) break;  // the core is shared: polling on would only delay whoever shares it
    } while (Clock::now() < spin_end);
    announce_sleep();
    if (ready()) {
      cancel_sleep();
      return Wake::kRung;
    }
    auto left = std::chrono::milliseconds(-1);
    if (give_up != Clock::time_point::max()) {
      left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - Clock::now()) +
             std::chrono::milliseconds(1);
      if (Clock::now() >= give_up) {
        cancel_sleep();
        return Wake::kTimeout;
      }
    }
    const Wake woke = block(left, other_fd);
    if (woke == Wake::kOtherFd) return woke;
    if (woke == Wake::kTimeout && Clock::now() >= give_up) return ready() ? Wake::kRung : Wake::kTimeout;
  }
}

}  // namespace fixnet::net
