// Runtimes: the threads that run datapaths (docs/rpc.md, "Runtimes"). A Runtime is one thread with
// a set of datapaths: it runs their engines round-robin while there is work, busy-polls for a
// bounded time after the last work, then announces sleep on every datapath's submission doorbell
// and blocks in epoll until an application rings. RuntimePool places datapaths on runtimes: shared
// (a fixed number of threads, least loaded first) or dedicated (one thread per datapath).
//
// attach()/detach() are called from the service's control thread; detach() returns only once the
// runtime thread no longer touches the datapath, so the caller may then destroy it. execute() runs a
// command (a chain edit, a counter snapshot) on the thread that owns a datapath, between rounds,
// and waits for it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "net/unique_fd.h"
#include "rpc/datapath.h"

struct epoll_event;

namespace fixnet::rpc {

struct RuntimeOptions {
  enum class Mode { kShared, kDedicated };
  Mode mode = Mode::kShared;
  size_t threads = 1;  // shared mode
  std::chrono::nanoseconds spin = std::chrono::microseconds(200);  // as fixnetd --spin-us
};

class Runtime {
 public:
  explicit Runtime(std::chrono::nanoseconds spin);
  ~Runtime();  // stops the thread; datapaths still attached are dropped
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  void attach(std::shared_ptr<Datapath> datapath);
  void detach(const Datapath* datapath);
  size_t load() const;
  // Runs `command` on this runtime's thread with `datapath` (attached here) between two rounds;
  // returns when it ran, rethrowing what it threw. Throws EnvironmentError when the datapath is gone.
  void execute(const Datapath* datapath, const std::function<void(Datapath&)>& command);

 private:
  void run();
  void apply_changes();
  bool sleep();  // true when it asked epoll, and so marked which datapaths' sockets are ready
  void wake();
  // Marks each datapath's sockets ready or not (Datapath::set_sockets_ready) from `n` epoll events.
  void mark_ready(const ::epoll_event* events, int n);

  const std::chrono::nanoseconds spin_;
  net::UniqueFd epoll_;
  net::UniqueFd wake_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::shared_ptr<Datapath>> arriving_;  // under mutex_
  std::vector<const Datapath*> leaving_;             // under mutex_
  struct Command;
  std::vector<Command*> commands_;                   // under mutex_; each owned by its caller
  size_t load_ = 0;                                  // under mutex_
  std::atomic<bool> stopping_{false};
  std::atomic<bool> changes_{false};  // arriving_ or leaving_ non-empty: checked without the lock
  std::vector<std::shared_ptr<Datapath>> datapaths_;  // the runtime thread's own
  std::thread thread_;
};

class RuntimePool {
 public:
  explicit RuntimePool(RuntimeOptions options);
  void attach(std::shared_ptr<Datapath> datapath);
  void detach(const Datapath* datapath);
  void execute(const Datapath* datapath, const std::function<void(Datapath&)>& command);
  size_t threads() const { return runtimes_.size(); }

 private:
  RuntimeOptions options_;
  std::vector<std::unique_ptr<Runtime>> runtimes_;  // shared mode: fixed; dedicated: one per datapath
  std::map<const Datapath*, Runtime*> placement_;
};

}  // namespace fixnet::rpc
