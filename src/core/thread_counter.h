// ThreadCounter: a statistics counter that many threads increment on hot paths and anyone may read.
// Each thread adds to a slot of its own with a plain load and store (no locked instruction, which
// costs ~9 ns on the VMs fixnet is measured on, more than the evaluator's other work for a call);
// a read sums the slots. Threads past the first kSlots of the process share one atomic slot instead.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace fixnet {

class ThreadCounter {
 public:
  void add(uint64_t n = 1) {
    const uint32_t i = thread_slot();
    if (i < kSlots) {
      std::atomic<uint64_t>& v = slots_[i].value;  // only this thread writes it
      v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    } else {
      overflow_.fetch_add(n, std::memory_order_relaxed);
    }
  }
  uint64_t load() const {
    uint64_t sum = overflow_.load(std::memory_order_relaxed);
    for (const Slot& s : slots_) sum += s.value.load(std::memory_order_relaxed);
    return sum;
  }
  operator uint64_t() const { return load(); }

 private:
  static constexpr uint32_t kSlots = 32;
  struct alignas(64) Slot {
    std::atomic<uint64_t> value{0};
  };
  // This thread's slot index, the same for every counter (assigned once per thread, never reused).
  static uint32_t thread_slot() {
    static std::atomic<uint32_t> next{0};
    thread_local const uint32_t slot = next.fetch_add(1, std::memory_order_relaxed);
    return slot;
  }
  std::array<Slot, kSlots> slots_{};
  std::atomic<uint64_t> overflow_{0};
};

}  // namespace fixnet
