#include "core/read_section.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace fixnet {
namespace read_section_detail {
namespace {

bool register_membarrier() {
  const long commands = ::syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
  if (commands < 0 || !(commands & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) return false;
  return ::syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}


struct Registry {
  std::mutex mutex;
  std::deque<Slot> slots;  // stable addresses; slots are reused, never freed
};
Registry& registry() {
  static Registry* r = new Registry;  // outlives every thread's exit handler
  return *r;
}

struct Release {
  Slot* slot = nullptr;
  ~Release() {
    if (!slot) return;
    thread_state.slot = nullptr;  // a later section on this exiting thread takes a slot anew
    slot->taken.store(false, std::memory_order_release);
  }
};
thread_local Release release;

}  // namespace

// Set once at static initialization. Until then it reads false (zero-initialized): readers fence
// and writers do not rely on membarrier, which is safe either way.
extern const bool membarrier_ready = register_membarrier();

Slot* take_slot() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  Slot* slot = nullptr;
  for (Slot& s : r.slots)
    if (!s.taken.load(std::memory_order_relaxed)) {
      slot = &s;
      break;
    }
  if (!slot) slot = &r.slots.emplace_back();
  slot->taken.store(true, std::memory_order_relaxed);
  release.slot = slot;
  return slot;
}

}  // namespace read_section_detail

void wait_for_readers() {
  using namespace read_section_detail;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (membarrier_ready) ::syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  std::vector<std::pair<Slot*, uint64_t>> open;
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    for (Slot& s : r.slots) {
      const uint64_t v = s.sequence.load(std::memory_order_acquire);
      if (v & 1) open.emplace_back(&s, v);
    }
  }
  for (auto [slot, v] : open)
    while (slot->sequence.load(std::memory_order_acquire) == v) std::this_thread::yield();
}

}  // namespace fixnet
