// ReadSection and wait_for_readers: memory reclamation for lock-free readers, so that a hot read
// path (a store lookup, a memo lookup) takes no lock and executes no locked instruction.
//
// A reader marks itself inside a section with a plain store to a slot of its own. A writer that
// unlinked memory calls wait_for_readers() before freeing it: one membarrier(2) makes every running
// thread execute a full fence (so the writer sees each reader's mark and every reader that marks
// itself later sees the unlink), then it waits for the sections it saw open to close. Where
// membarrier is unavailable, readers pay a fence instead. Writers pay microseconds; readers nothing.
#pragma once

#include <atomic>
#include <cstdint>

namespace fixnet {

namespace read_section_detail {
struct alignas(64) Slot {
  std::atomic<uint64_t> sequence{0};  // odd while its thread is inside a section
  std::atomic<bool> taken{false};
};
struct ThreadState {
  Slot* slot = nullptr;
  uint32_t depth = 0;
};
inline thread_local ThreadState thread_state;  // trivially destructible: no TLS wrapper call
Slot* take_slot();                              // also arranges its release at thread exit
extern const bool membarrier_ready;            // false (readers fence) until set up, or if unavailable
}  // namespace read_section_detail

class ReadSection {
 public:
  ReadSection() {
    auto& t = read_section_detail::thread_state;
    if (t.depth++ != 0) return;
    if (!t.slot) [[unlikely]]
      t.slot = read_section_detail::take_slot();
    auto& s = t.slot->sequence;
    s.store(s.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (!read_section_detail::membarrier_ready) [[unlikely]]
      std::atomic_thread_fence(std::memory_order_seq_cst);
    else
      std::atomic_signal_fence(std::memory_order_seq_cst);
  }
  ~ReadSection() {
    auto& t = read_section_detail::thread_state;
    if (--t.depth != 0) return;
    auto& s = t.slot->sequence;
    s.store(s.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
  ReadSection(const ReadSection&) = delete;
  ReadSection& operator=(const ReadSection&) = delete;
};

// Returns once every ReadSection open at the call has closed. Must not be called inside one.
void wait_for_readers();

}  // namespace fixnet
