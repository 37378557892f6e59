// ObjectRegistry<T>: the service's running objects of one kind (the gRPC interop)
// by a process-unique id, so an engine created from a config string ("ID …") finds the
// object it works with. Entries are weak: an object leaves (erase) in its destructor. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

namespace fixnet::rpc {

template <class T>
class ObjectRegistry {
 public:
  uint64_t next_id() { return next_++; }
  void add(uint64_t id, const std::shared_ptr<T>& object) {
    std::lock_guard lock(mutex_);
    objects_[id] = object;
  }
  // Null when no such object runs (any more).
  std::shared_ptr<T> find(uint64_t id) {
    std::lock_guard lock(mutex_);
    auto it = objects_.find(id);
    return it == objects_.end() ? nullptr : it->second.lock();
  }
  void erase(uint64_t id) {
    std::lock_guard lock(mutex_);
    objects_.erase(id);
  }

 private:
  std::mutex mutex_;
  std::map<uint64_t, std::weak_ptr<T>> objects_;
  std::atomic<uint64_t> next_{1};
};

}  // namespace fixnet::rpc
