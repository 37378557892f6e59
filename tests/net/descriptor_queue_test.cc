// DescriptorQueue: order, wrap-around, batches, a full queue, and a hostile peer's indices.
#include "net/descriptor_queue.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace fixnet::net {
namespace {

QueueSlot slot_of(uint64_t value) {
  QueueSlot s;
  std::memcpy(s.bytes.data(), &value, sizeof value);
  return s;
}

uint64_t value_of(const QueueSlot& s) {
  uint64_t v;
  std::memcpy(&v, s.bytes.data(), sizeof v);
  return v;
}

struct Region {
  explicit Region(uint32_t capacity) : bytes(queue_region_bytes(capacity) + 64) {}
  uint8_t* data() { return reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(bytes.data()) + 63) & ~63ull); }
  QueueHeader& header() { return *reinterpret_cast<QueueHeader*>(data()); }
  std::vector<uint8_t> bytes;
};

TEST(DescriptorQueue, WrapsAroundInBatchesKeepingOrder) {
  Region region(8);
  QueueProducer producer(region.data(), 8);
  QueueConsumer consumer(region.data(), 8);
  uint64_t next_in = 0, next_out = 0;
  for (int round = 0; round < 100; ++round) {
    std::vector<QueueSlot> batch;
    for (int i = 0; i < 5; ++i) batch.push_back(slot_of(next_in + i));
    const size_t pushed = producer.push(batch);
    next_in += pushed;
    std::vector<QueueSlot> out(3);
    const size_t popped = consumer.pop(out);
    for (size_t i = 0; i < popped; ++i) EXPECT_EQ(value_of(out[i]), next_out++);
  }
  std::vector<QueueSlot> out(8);
  for (size_t n; (n = consumer.pop(out)) > 0;)
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(value_of(out[i]), next_out++);
  EXPECT_EQ(next_out, next_in);
  EXPECT_GT(next_in, 200u);  // wrapped many times
  EXPECT_FALSE(producer.corrupt() || consumer.corrupt());
}

TEST(DescriptorQueue, FullQueueTakesNothingMore) {
  Region region(4);
  QueueProducer producer(region.data(), 4);
  std::vector<QueueSlot> six(6, slot_of(1));
  EXPECT_EQ(producer.push(six), 4u);
  EXPECT_EQ(producer.push(six), 0u);
  EXPECT_EQ(producer.free_slots(), 0u);
}

TEST(DescriptorQueue, ConsumerRefusesATailBeyondCapacity) {
  Region region(8);
  QueueConsumer consumer(region.data(), 8);
  region.header().tail.store(9);  // claims 9 published slots in an 8-slot ring
  std::vector<QueueSlot> out(16);
  EXPECT_EQ(consumer.pop(out), 0u);
  EXPECT_TRUE(consumer.corrupt());
  region.header().tail.store(1);  // once corrupt, stays corrupt
  EXPECT_EQ(consumer.pop(out), 0u);
}

TEST(DescriptorQueue, ConsumerRefusesATailBehindItsHead) {
  Region region(8);
  QueueProducer producer(region.data(), 8);
  QueueConsumer consumer(region.data(), 8);
  std::vector<QueueSlot> three(3, slot_of(5));
  producer.push(three);
  std::vector<QueueSlot> out(8);
  EXPECT_EQ(consumer.pop(out), 3u);
  region.header().tail.store(1);  // moves backwards: tail - head wraps to a huge number
  EXPECT_EQ(consumer.pop(out), 0u);
  EXPECT_TRUE(consumer.corrupt());
}

TEST(DescriptorQueue, ProducerRefusesAHeadAheadOfItsTail) {
  Region region(8);
  QueueProducer producer(region.data(), 8);
  std::vector<QueueSlot> two(2, slot_of(5));
  producer.push(two);
  region.header().head.store(1000);  // "consumed" more than was ever published
  EXPECT_EQ(producer.push(two), 0u);
  EXPECT_TRUE(producer.corrupt());
}

TEST(DescriptorQueue, ConsumerIgnoresAHeadRewrittenByThePeer) {
  Region region(8);
  QueueProducer producer(region.data(), 8);
  QueueConsumer consumer(region.data(), 8);
  std::vector<QueueSlot> batch{slot_of(1), slot_of(2)};
  producer.push(batch);
  region.header().head.store(77777);  // the peer scribbles on our index: we never read it back
  std::vector<QueueSlot> out(8);
  ASSERT_EQ(consumer.pop(out), 2u);
  EXPECT_EQ(value_of(out[1]), 2u);
}

TEST(DescriptorQueue, CapacityMustBeAPowerOfTwo) {
  EXPECT_ANY_THROW(queue_region_bytes(6));
  EXPECT_ANY_THROW(queue_region_bytes(0));
  EXPECT_ANY_THROW(queue_region_bytes(1u << 21));
  EXPECT_EQ(queue_region_bytes(2), 192u + 128u);
}

}  // namespace
}  // namespace fixnet::net
