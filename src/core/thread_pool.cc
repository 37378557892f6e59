#include "core/thread_pool.h"

#include <exception>

namespace fixnet {

ThreadPool::ThreadPool(size_t threads) {
  if (threads == 0) threads = std::max<size_t>(1, std::thread::hardware_concurrency());
  // The caller of parallel_for works too, so the pool needs one thread fewer than the cores.
  for (size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

bool ThreadPool::run_one() {
  Task task;
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return false;
    task = std::move(queue_.front());
    queue_.pop_front();
  }
  task.fn();
  return true;
}

void ThreadPool::worker() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task.fn();
  }
}

void ThreadPool::parallel_for(size_t n, size_t grain, const std::function<void(size_t)>& fn) {
  if (grain == 0) grain = 1;
  const size_t chunks = (n + grain - 1) / grain;
  if (chunks <= 1 || workers_.empty()) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  struct Group {
    std::atomic<size_t> remaining;
    std::mutex mutex;
    std::exception_ptr error;
  };
  auto group = std::make_shared<Group>();
  group->remaining = chunks;
  auto run_chunk = [group, &fn, n, grain](size_t c) {
    try {
      for (size_t i = c * grain, end = std::min(n, (c + 1) * grain); i < end; ++i) fn(i);
    } catch (...) {
      std::lock_guard lock(group->mutex);
      if (!group->error) group->error = std::current_exception();
    }
    group->remaining.fetch_sub(1, std::memory_order_acq_rel);
  };
  {
    std::lock_guard lock(mutex_);
    for (size_t c = 1; c < chunks; ++c) queue_.push_back(Task{[run_chunk, c] { run_chunk(c); }});
  }
  cv_.notify_all();
  run_chunk(0);
  // Help rather than block: queued tasks may be ours or belong to a nested parallel_for.
  while (group->remaining.load(std::memory_order_acquire) != 0) {
    if (!run_one()) std::this_thread::yield();
  }
  if (group->error) std::rethrow_exception(group->error);
}

}  // namespace fixnet
