#include "rpc/runtime.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "core/error.h"
#include "net/system_error.h"

namespace fixnet::rpc {

namespace {

// While some engine waits on a peer (a full completion queue), sleep only this long: the peer
// draining its queue rings no doorbell of ours.
constexpr int kPendingRetryMs = 1;

// Events taken per epoll_wait: a datapath whose sockets did not fit is named by the next one (epoll
// hands ready entries out in turn).
constexpr int kEvents = 64;

}  // namespace

struct Runtime::Command {
  const Datapath* datapath;
  const std::function<void(Datapath&)>* run;
  std::exception_ptr error;
  bool done = false;
};

Runtime::Runtime(std::chrono::nanoseconds spin)
    : spin_(spin), epoll_(::epoll_create1(EPOLL_CLOEXEC)), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!epoll_ || !wake_) net::throw_system_error("epoll_create1/eventfd", "an RPC runtime");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_.get();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev) != 0)
    net::throw_system_error("epoll_ctl", "an RPC runtime");
  thread_ = std::thread([this] { run(); });
}

Runtime::~Runtime() {
  stopping_ = true;
  wake();
  thread_.join();
}

void Runtime::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_.get(), &one, sizeof one);
}

void Runtime::attach(std::shared_ptr<Datapath> datapath) {
  {
    std::lock_guard lock(mutex_);
    arriving_.push_back(std::move(datapath));
    ++load_;
    changes_ = true;
  }
  wake();
}

void Runtime::detach(const Datapath* datapath) {
  std::unique_lock lock(mutex_);
  leaving_.push_back(datapath);
  changes_ = true;
  lock.unlock();
  wake();
  lock.lock();
  changed_.wait(lock, [&] { return std::find(leaving_.begin(), leaving_.end(), datapath) == leaving_.end(); });
  --load_;
}

void Runtime::execute(const Datapath* datapath, const std::function<void(Datapath&)>& command) {
  Command c{datapath, &command, nullptr};
  std::unique_lock lock(mutex_);
  commands_.push_back(&c);
  changes_ = true;
  lock.unlock();
  wake();
  lock.lock();
  changed_.wait(lock, [&] { return c.done; });
  if (c.error) std::rethrow_exception(c.error);
}

size_t Runtime::load() const {
  std::lock_guard lock(mutex_);
  return load_;
}

void Runtime::apply_changes() {
  std::lock_guard lock(mutex_);
  for (auto& d : arriving_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = d->submission_doorbell().fd();
    // A failure here leaves the datapath polled only while awake; it still works, just without sleep.
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, d->submission_doorbell().fd(), &ev);
    ev.data.fd = d->watch_fd();
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, d->watch_fd(), &ev);  // its engines' sockets
    datapaths_.push_back(std::move(d));
  }
  arriving_.clear();
  for (Command* c : commands_) {
    auto it = std::find_if(datapaths_.begin(), datapaths_.end(), [&](const auto& d) { return d.get() == c->datapath; });
    try {
      if (it == datapaths_.end()) throw EnvironmentError("the application left");
      (*c->run)(**it);
    } catch (...) {
      c->error = std::current_exception();
    }
    c->done = true;
  }
  if (!commands_.empty()) changed_.notify_all();
  commands_.clear();
  if (leaving_.empty()) return;
  for (const Datapath* gone : leaving_) {
    auto it = std::find_if(datapaths_.begin(), datapaths_.end(), [&](const auto& d) { return d.get() == gone; });
    if (it == datapaths_.end()) continue;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, (*it)->submission_doorbell().fd(), nullptr);
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, (*it)->watch_fd(), nullptr);
    datapaths_.erase(it);
  }
  leaving_.clear();
  changed_.notify_all();
}

void Runtime::mark_ready(const epoll_event* events, int n) {
  for (auto& d : datapaths_) d->set_sockets_ready(false);
  for (int i = 0; i < n; ++i) {
    auto it = std::find_if(datapaths_.begin(), datapaths_.end(), [&](const auto& d) { return d->watch_fd() == events[i].data.fd; });
    if (it != datapaths_.end()) (*it)->set_sockets_ready(true);
  }
}

bool Runtime::sleep() {
  for (auto& d : datapaths_) d->submission_doorbell().announce_sleep();
  bool work = false;
  bool pending = false;
  bool looked = false;
  for (auto& d : datapaths_) {
    work = work || d->has_input();
    pending = pending || d->has_pending_work();
  }
  if (!work) {
    epoll_event events[kEvents];
    const int n = ::epoll_wait(epoll_.get(), events, kEvents, pending ? kPendingRetryMs : -1);
    // Read only the eventfds epoll named: each read is a system call, and an eventfd it did not name
    // yet (rung after epoll returned) stays readable, so the next epoll_wait returns at once for it.
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_.get()) {
        uint64_t count;
        [[maybe_unused]] ssize_t r = ::read(wake_.get(), &count, sizeof count);
      } else if (auto it = std::find_if(datapaths_.begin(), datapaths_.end(),
                                        [&](const auto& d) { return d->submission_doorbell().fd() == fd; });
                 it != datapaths_.end()) {
        (*it)->submission_doorbell().acknowledge();
      }
    }
    if ((looked = n >= 0)) mark_ready(events, n);  // interrupted: the next round asks again
  }
  for (auto& d : datapaths_) d->submission_doorbell().cancel_sleep();
  return looked;
}

void Runtime::run() {
  using Clock = std::chrono::steady_clock;
  auto last_work = Clock::now();
  bool contended = false;  // the last poll gave the core away: sleep instead of polling on
  bool looked = false;     // sleep() just marked which sockets are ready
  for (;;) {
    if (stopping_) break;
    if (changes_.exchange(false)) apply_changes();
    // Which engines' sockets have something, in one system call: an idle socket costs nothing per
    // round (a recv on each, as before, cost one call per connection per round: with tens of
    // applications' datapaths on a runtime that was most of its time).
    if (!std::exchange(looked, false) && !datapaths_.empty()) {
      epoll_event events[kEvents];
      mark_ready(events, std::max(::epoll_wait(epoll_.get(), events, kEvents, 0), 0));
    }
    size_t work = 0;
    for (auto& d : datapaths_) work += d->do_work();
    const auto now = Clock::now();
    if (work > 0) {
      last_work = now;
    } else if (now - last_work >= spin_ || contended) {
      looked = sleep();
      last_work = Clock::now();
      contended = false;
    } else {
      contended = net::poll_pause();
    }
  }
  datapaths_.clear();
}

RuntimePool::RuntimePool(RuntimeOptions options) : options_(options) {
  if (options_.mode == RuntimeOptions::Mode::kShared)
    for (size_t i = 0; i < std::max<size_t>(options_.threads, 1); ++i)
      runtimes_.push_back(std::make_unique<Runtime>(options_.spin));
}

void RuntimePool::attach(std::shared_ptr<Datapath> datapath) {
  Runtime* runtime;
  if (options_.mode == RuntimeOptions::Mode::kDedicated) {
    runtimes_.push_back(std::make_unique<Runtime>(options_.spin));
    runtime = runtimes_.back().get();
  } else {
    runtime = std::min_element(runtimes_.begin(), runtimes_.end(),
                               [](const auto& a, const auto& b) { return a->load() < b->load(); })
                  ->get();
  }
  placement_[datapath.get()] = runtime;
  runtime->attach(std::move(datapath));
}

void RuntimePool::execute(const Datapath* datapath, const std::function<void(Datapath&)>& command) {
  auto it = placement_.find(datapath);
  if (it == placement_.end()) throw EnvironmentError("the application left");
  it->second->execute(datapath, command);
}

void RuntimePool::detach(const Datapath* datapath) {
  auto it = placement_.find(datapath);
  if (it == placement_.end()) return;
  Runtime* runtime = it->second;
  placement_.erase(it);
  runtime->detach(datapath);
  if (options_.mode == RuntimeOptions::Mode::kDedicated)
    std::erase_if(runtimes_, [&](const auto& r) { return r.get() == runtime; });
}

}  // namespace fixnet::rpc
