// Doorbell: how the producer of a queue wakes its consumer — adaptive polling, so a flowing stream
// costs no system call per message and an idle consumer costs no CPU.
//
// The consumer busy-polls its queue for a bounded time after the last message; then it announces
// sleep by setting the queue's sleep flag (shared memory) and blocks on an eventfd. The producer
// writes the eventfd only when it finds the flag set, and clears the flag as it does, so a burst
// into a sleeping consumer costs one write.
//
// No lost wake-up. All flag accesses are sequentially consistent, and so are the fences below:
//   consumer: flag = 1; fence; re-check the queue → non-empty: flag = 0, carry on
//                                                 → empty: block on the eventfd
//   producer: publish (tail store); fence; if exchange(flag, 0) == 1: write the eventfd
// In the single total order of the two fences, either the consumer's re-check comes after the
// producer's publish (and sees the message), or the producer's flag read comes after the consumer's
// flag store (and writes the eventfd, which the consumer's block returns on at once). The eventfd
// counts, so a write before the consumer blocks is not lost either.
//
// A hostile peer can only hurt itself: clearing the flag delays its own wake-ups; setting it makes
// the producer write an eventfd that is non-blocking (a full counter already means "wake up").
//
// Both ends hold a Doorbell on the same flag and eventfd (the fd is passed to the peer). One thread
// per end.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "net/unique_fd.h"

namespace fixnet::net {

// One step of a busy-poll loop: yields the core (sched_yield) to any other runnable thread, then comes
// back at once if there is none. Pausing in place (x86 `pause`) would hold the core for the whole spin:
// where busy processes outnumber cores — client, two services and server on two cores — the process
// the message is waiting for would queue behind pollers that have nothing to do.
// Returns true when the yield gave the core away (it took longer than kSharedCoreYield): the poller
// shares its core with someone who has work, and should stop polling and sleep — every further
// look costs that someone a context switch (and, under EEVDF, each yield pushes the poller's own
// deadline back, so a long poll ends behind everyone else). A poller alone on its core polls on.
inline constexpr auto kSharedCoreYield = std::chrono::microseconds(4);
bool poll_pause();

// Whether a consumer's next wait should poll first: only while its waits typically end within the
// poll (a moving average over the last few, each counted up to 10 ms so one idle spell weighs no
// more than that). A poll that ends empty costs a core's time for nothing — on a host running more
// busy processes than cores, someone else's; the wait then sleeps at once.
class AdaptiveSpin {
 public:
  explicit AdaptiveSpin(std::chrono::nanoseconds spin) : spin_(spin) {}
  std::chrono::nanoseconds next() const { return typical_ <= spin_ ? spin_ : std::chrono::nanoseconds(0); }
  void waited(std::chrono::nanoseconds d) {
    typical_ += (std::min<std::chrono::nanoseconds>(d, std::chrono::milliseconds(10)) - typical_) / 8;
  }

 private:
  std::chrono::nanoseconds spin_;
  std::chrono::nanoseconds typical_{0};
};

class Doorbell {
 public:
  // A new non-blocking eventfd, for the side that creates the queue.
  static UniqueFd make_eventfd();

  Doorbell(std::atomic<uint32_t>& flag, UniqueFd eventfd) : flag_(&flag), fd_(std::move(eventfd)) {}

  // Producer, after publishing: wakes the consumer if it announced sleep.
  void ring();

  // Consumer: announce sleep. The caller MUST re-check the queue after this and cancel_sleep() if
  // it found work; only on an empty re-check may it block (wait() or epoll on fd()).
  void announce_sleep();
  void cancel_sleep();
  // Consumer: after blocking — clears the flag and empties the eventfd counter.
  void acknowledge();

  enum class Wake { kRung, kTimeout, kOtherFd };
  // Consumer: blocks until rung, `timeout` passes (negative: forever) or `other_fd` (if >= 0)
  // becomes readable or hangs up; acknowledges before returning.
  Wake block(std::chrono::milliseconds timeout, int other_fd = -1);

  // Consumer: the whole adaptive loop for one queue — polls `ready` for `spin`, then announces sleep,
  // re-checks, and blocks. Returns kRung when `ready` answered true (the flag is clear again).
  Wake wait(const std::function<bool()>& ready, std::chrono::nanoseconds spin,
            std::chrono::milliseconds timeout, int other_fd = -1);

  int fd() const { return fd_.get(); }
  uint64_t wakeups_sent() const { return wakeups_sent_; }

 private:
  std::atomic<uint32_t>* flag_;
  UniqueFd fd_;
  uint64_t wakeups_sent_ = 0;
};

}  // namespace fixnet::net
