#include "flatware/virtual_clock.h"

#include "flatware/wasi_types.h"

namespace fixnet::flatware {

uint64_t VirtualClock::now(uint32_t clock_id) const {
  return clock_id == wasi::kClockRealtime ? start_ + elapsed_ : elapsed_;
}

uint64_t VirtualClock::read_and_tick(uint32_t clock_id) {
  const uint64_t reading = now(clock_id);
  elapsed_ += kTick;
  return reading;
}

uint64_t VirtualClock::elapsed_at(uint32_t clock_id, uint64_t reading) const {
  uint64_t at = reading;
  if (clock_id == wasi::kClockRealtime) at = reading > start_ ? reading - start_ : 0;
  return at > elapsed_ ? at : elapsed_;
}

}  // namespace fixnet::flatware
