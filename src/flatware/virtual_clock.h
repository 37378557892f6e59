// VirtualClock: the deterministic time a Flatware program sees. One virtual "elapsed" counter starts at
// 0 and moves only when the program looks: each clock_time_get advances it by kTick after answering
// (so a loop waiting for time to pass ends), and poll_oneoff jumps it to the deadline it waits for.
//   realtime                       = start time + elapsed
//   monotonic, process/thread CPU  = elapsed
#pragma once

#include <cstdint>

namespace fixnet::flatware {

class VirtualClock {
 public:
  static constexpr uint64_t kTick = 1000;        // ns added by every clock_time_get
  static constexpr uint64_t kResolution = 1000;  // what clock_res_get reports

  explicit VirtualClock(uint64_t start_ns) : start_(start_ns) {}

  static bool valid(uint32_t clock_id) { return clock_id <= 3; }
  // The clock's current reading (precondition: valid(clock_id)).
  uint64_t now(uint32_t clock_id) const;
  // now(), then the tick.
  uint64_t read_and_tick(uint32_t clock_id);
  // Elapsed time at which `clock_id` reads `reading` (readings in the past give the present).
  uint64_t elapsed_at(uint32_t clock_id, uint64_t reading) const;
  uint64_t elapsed() const { return elapsed_; }
  void advance_to(uint64_t elapsed) {
    if (elapsed > elapsed_) elapsed_ = elapsed;
  }

 private:
  uint64_t start_;
  uint64_t elapsed_ = 0;
};

}  // namespace fixnet::flatware
