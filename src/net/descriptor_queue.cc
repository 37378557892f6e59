#include "net/descriptor_queue.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/error.h"

namespace fixnet::net {

void check_queue_capacity(uint32_t capacity) {
  if (capacity < 2 || capacity > (1u << 20) || (capacity & (capacity - 1)) != 0)
    throw InputError("queue capacity " + std::to_string(capacity) + " is not a power of two in [2, 2^20]");
}

size_t queue_region_bytes(uint32_t capacity) {
  check_queue_capacity(capacity);
  return sizeof(QueueHeader) + size_t{capacity} * sizeof(QueueSlot);
}

QueueEnd::QueueEnd(uint8_t* region, uint32_t capacity)
    : header_(reinterpret_cast<QueueHeader*>(region)),
      slots_(reinterpret_cast<QueueSlot*>(region + sizeof(QueueHeader))),
      capacity_(capacity) {
  check_queue_capacity(capacity);
}

// Each end starts from the index in the region: 0 in a fresh one, which only its owner ever wrote.
QueueProducer::QueueProducer(uint8_t* region, uint32_t capacity)
    : QueueEnd(region, capacity), tail_(header_->tail.load(std::memory_order_relaxed)) {}

size_t QueueProducer::free_slots() {
  if (corrupt_) return 0;
  const uint64_t head = header_->head.load(std::memory_order_acquire);
  const uint64_t used = tail_ - head;  // unsigned: a head beyond our tail wraps to a huge number
  if (used > capacity_) {
    corrupt_ = true;
    return 0;
  }
  return capacity_ - used;
}

size_t QueueProducer::push(std::span<const QueueSlot> slots) {
  const size_t n = std::min(slots.size(), free_slots());
  for (size_t i = 0; i < n; ++i)
    std::memcpy(&slots_[(tail_ + i) & (capacity_ - 1)], &slots[i], sizeof(QueueSlot));
  if (n == 0) return 0;
  tail_ += n;
  header_->tail.store(tail_, std::memory_order_release);
  return n;
}

QueueConsumer::QueueConsumer(uint8_t* region, uint32_t capacity)
    : QueueEnd(region, capacity), head_(header_->head.load(std::memory_order_relaxed)) {}

size_t QueueConsumer::available() {
  if (corrupt_) return 0;
  const uint64_t tail = header_->tail.load(std::memory_order_acquire);
  const uint64_t published = tail - head_;
  if (published > capacity_) {
    corrupt_ = true;
    return 0;
  }
  return published;
}

size_t QueueConsumer::pop(std::span<QueueSlot> out) {
  const size_t n = std::min(out.size(), available());
  for (size_t i = 0; i < n; ++i)
    std::memcpy(&out[i], &slots_[(head_ + i) & (capacity_ - 1)], sizeof(QueueSlot));
  if (n == 0) return 0;
  head_ += n;
  header_->head.store(head_, std::memory_order_release);
  return n;
}

}  // namespace fixnet::net
