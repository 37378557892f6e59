// DescriptorQueue: a single-producer single-consumer ring of fixed-size slots in shared memory, one
// direction between two processes (an application and the RPC service, an NF and the NF manager).
//
// Layout of a queue region (queue_region_bytes(capacity) bytes, zero-filled when created):
//   [0, 64)     tail — slots published by the producer (u64, free-running; written by producer only)
//   [64, 128)   head — slots consumed by the consumer  (u64, free-running; written by consumer only)
//   [128, 192)  the consumer's sleep flag (u32; see doorbell.h)
//   [192, …)    capacity slots of 64 bytes; slot i lives at index i mod capacity
// Each index has its own cache line so producer and consumer do not false-share. The producer
// stores tail with release after writing slots; the consumer loads it with acquire before reading
// them, and stores head with release after copying them out (the producer loads it with acquire
// before reusing those slots).
//
// Hostile peers. Each side keeps its own index privately and never re-reads it from shared memory;
// the other side's index is read once per call and checked: the consumer accepts a tail only if
// 0 <= tail - head <= capacity, the producer accepts a head only if 0 <= tail - head <= capacity.
// An impossible index marks the queue corrupt() (every later call does nothing); the owner drops
// the peer. Slots are copied out into the caller's memory by pop(): the caller validates and uses
// its copy, never the shared slot (which the peer may rewrite at any moment).
// The capacity is a constructor argument, agreed on the control channel — never read from the region.
//
// One producer object and one consumer object per queue, each used by one thread at a time.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

namespace fixnet::net {

struct alignas(64) QueueSlot {
  std::array<std::byte, 64> bytes{};
};
static_assert(sizeof(QueueSlot) == 64);

struct QueueHeader {
  alignas(64) std::atomic<uint64_t> tail;
  alignas(64) std::atomic<uint64_t> head;
  alignas(64) std::atomic<uint32_t> consumer_sleeping;
};
static_assert(sizeof(QueueHeader) == 192);
static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<uint32_t>::is_always_lock_free,
              "indices in shared memory need address-free (lock-free) atomics");

// Bytes of a region holding a queue of `capacity` slots (a power of two, at least 2).
size_t queue_region_bytes(uint32_t capacity);
// Throws InputError unless `capacity` is a power of two in [2, 2^20].
void check_queue_capacity(uint32_t capacity);
// The consumer's sleep flag of the queue in `region` (for its Doorbell).
inline std::atomic<uint32_t>& queue_sleep_flag(uint8_t* region) {
  return reinterpret_cast<QueueHeader*>(region)->consumer_sleeping;
}

// What both ends of a queue hold: where the region is, its agreed capacity, whether the peer broke it.
class QueueEnd {
 public:
  bool corrupt() const { return corrupt_; }
  std::atomic<uint32_t>& sleep_flag() { return header_->consumer_sleeping; }

 protected:
  // `region` must hold queue_region_bytes(capacity) bytes and outlive this object.
  QueueEnd(uint8_t* region, uint32_t capacity);

  QueueHeader* header_;
  QueueSlot* slots_;
  uint32_t capacity_;
  bool corrupt_ = false;
};

class QueueProducer : public QueueEnd {
 public:
  QueueProducer(uint8_t* region, uint32_t capacity);

  // Copies the first n of `slots` in and publishes them, n = min(slots.size(), free slots).
  // Returns n (0 when full or corrupt).
  size_t push(std::span<const QueueSlot> slots);
  size_t free_slots();

 private:
  uint64_t tail_;  // ours; the shared copy is only ever written
};

class QueueConsumer : public QueueEnd {
 public:
  QueueConsumer(uint8_t* region, uint32_t capacity);

  // Copies up to out.size() published slots into `out`, consumes them, returns how many.
  size_t pop(std::span<QueueSlot> out);
  // Published, not yet consumed slots (0 when corrupt).
  size_t available();

 private:
  uint64_t head_;  // ours; the shared copy is only ever written
};

}  // namespace fixnet::net
