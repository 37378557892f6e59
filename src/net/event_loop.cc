#include "net/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>

#include "net/system_error.h"

namespace fixnet::net {

EventLoop::EventLoop() : epoll_(::epoll_create1(EPOLL_CLOEXEC)), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!epoll_ || !wake_) throw_system_error("epoll_create1/eventfd", "an event loop");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_.get();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev) != 0) throw_system_error("epoll_ctl", "an event loop");
}

void EventLoop::add(int fd, uint32_t events, FdCallback callback) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) throw_system_error("epoll_ctl(ADD)", "an event loop");
  callbacks_[fd] = std::make_shared<FdCallback>(std::move(callback));
}

void EventLoop::remove(int fd) {
  if (callbacks_.erase(fd) == 0) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

uint64_t EventLoop::add_timer(std::chrono::nanoseconds interval, std::function<void()> callback) {
  UniqueFd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!fd) throw_system_error("timerfd_create", "an event loop");
  itimerspec spec{};
  const auto ns = std::max<int64_t>(interval.count(), 1);
  spec.it_interval = {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  spec.it_value = spec.it_interval;
  if (::timerfd_settime(fd.get(), 0, &spec, nullptr) != 0) throw_system_error("timerfd_settime", "an event loop");
  const int raw = fd.get();
  add(raw, EPOLLIN, [raw, callback = std::move(callback)](uint32_t) {
    uint64_t expirations;
    if (::read(raw, &expirations, sizeof expirations) == sizeof expirations) callback();
  });
  const uint64_t id = next_timer_++;
  timers_.emplace(id, std::move(fd));
  return id;
}

void EventLoop::cancel_timer(uint64_t id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  remove(it->second.get());
  timers_.erase(it);
}

void EventLoop::stop() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_.get(), &one, sizeof one);
}

void EventLoop::run() {
  epoll_event events[32];
  for (;;) {
    const int n = ::epoll_wait(epoll_.get(), events, 32, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_system_error("epoll_wait", "an event loop");
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == wake_.get()) return;
    }
    for (int i = 0; i < n; ++i) {
      // Looked up per event: an earlier callback in this batch may have removed this fd.
      auto it = callbacks_.find(events[i].data.fd);
      if (it == callbacks_.end()) continue;
      auto callback = it->second;  // keeps it alive while it removes itself
      (*callback)(events[i].events);
    }
  }
}

}  // namespace fixnet::net
