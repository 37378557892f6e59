// ThreadPool: a fixed set of worker threads for the evaluator's parallelism. No thread per task:
// tasks queue, and a thread waiting for its tasks runs queued work itself meanwhile, so nested
// parallelism (an entry whose evaluation fans out again) cannot deadlock the pool.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace fixnet {

class ThreadPool {
 public:
  // threads == 0: one per core.
  explicit ThreadPool(size_t threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size(); }

  // Runs fn(i) for i in [0, n), in chunks of `grain`, on the pool and the calling thread; returns when
  // all have run. The first exception thrown by any fn is rethrown here (the rest still run).
  void parallel_for(size_t n, size_t grain, const std::function<void(size_t)>& fn);

 private:
  struct Task {
    std::function<void()> fn;
  };
  bool run_one();  // runs one queued task if there is one
  void worker();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace fixnet
