// A hostile or broken application against a real fixnetd: descriptors outside the heap, wrong
// lengths and kinds, forged releases, flooding, garbage written into shared memory while the
// service reads it, and a client killed mid-call. The service answers what a caller waits for,
// keeps running, reclaims, and other applications are not affected.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <cstring>
#include <random>
#include <thread>

#include "core/error.h"
#include "rpc/client.h"
#include "rpc_test_util.h"

namespace fixnet::rpc {
namespace {

using testing::exited_ok;
using testing::ServiceProcess;
using testing::spawn;

constexpr uint32_t kEcho = 1;

Status status_of(Client& client, Descriptor d) {
  client.post_unchecked(d);
  return client.wait(d.call_id, std::chrono::milliseconds(5000)).status();
}

Descriptor request(uint64_t call_id, uint64_t offset, uint64_t length) {
  Descriptor d;
  d.kind = Kind::kRequest;
  d.method = kEcho;
  d.call_id = call_id;
  d.offset = offset;
  d.length = length;
  return d;
}

bool echo_ok(Client& client, size_t size) {
  std::vector<uint8_t> bytes(size, 0x5a);
  auto reply = client.call(kEcho, bytes);
  return reply.ok() && reply.bytes().size() == size &&
         std::equal(bytes.begin(), bytes.end(), reply.bytes().begin());
}

TEST(RpcBadInput, BadDescriptorsGetErrorRepliesAndTheConnectionKeepsWorking) {
  ServiceProcess service({"--max-message-bytes", "65536"});
  auto client = Client::connect(service.socket());
  const uint64_t heap = client->welcome().send_heap_bytes;
  uint64_t id = 1000;
  EXPECT_EQ(status_of(*client, request(++id, heap - 8, 64)), Status::kOutOfBounds);
  EXPECT_EQ(status_of(*client, request(++id, heap + 4096, 0)), Status::kOutOfBounds);
  EXPECT_EQ(status_of(*client, request(++id, ~uint64_t{0} - 8, 64)), Status::kOutOfBounds);
  EXPECT_EQ(status_of(*client, request(++id, 0, 65537)), Status::kTooLarge);
  EXPECT_EQ(status_of(*client, request(++id, 0, ~uint64_t{0})), Status::kTooLarge);
  Descriptor d = request(++id, 0, 8);
  d.version = 7;
  EXPECT_EQ(status_of(*client, d), Status::kBadDescriptor);
  d = request(++id, 0, 8);
  d.kind = static_cast<Kind>(200);
  EXPECT_EQ(status_of(*client, d), Status::kBadDescriptor);
  d = request(++id, 0, 8);
  d.kind = Kind::kReply;
  EXPECT_EQ(status_of(*client, d), Status::kBadDescriptor);
  d = request(++id, 0, 8);
  d.reserved[5] = 1;
  EXPECT_EQ(status_of(*client, d), Status::kBadDescriptor);
  d = request(++id, 0, 8);
  d.method = 99;
  EXPECT_EQ(status_of(*client, d), Status::kUnknownMethod);
  // Forged releases (never handed out, outside the receive heap) are dropped, not trusted.
  Descriptor release;
  release.kind = Kind::kRelease;
  release.offset = 64;
  client->post_unchecked(release);
  release.offset = ~uint64_t{0};
  client->post_unchecked(release);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(echo_ok(*client, 1000));
  client.reset();
  EXPECT_TRUE(ServiceProcess::eventually([&] { return service.log().find("bad releases 2") != std::string::npos; }))
      << service.log();
  EXPECT_TRUE(service.alive());
}

TEST(RpcBadInput, AnApplicationHoldingItsRepliesGetsNoReceiveSpaceNotMore) {
  ServiceProcess service({"--receive-heap-mib", "1"});
  auto client = Client::connect(service.socket());
  std::vector<Client::Reply> held;
  std::vector<uint8_t> bytes(256 * 1024, 1);
  Status last = Status::kOk;
  for (int i = 0; i < 8 && last == Status::kOk; ++i) {
    held.push_back(client->call(kEcho, bytes));
    last = held.back().status();
  }
  EXPECT_EQ(last, Status::kNoReceiveSpace);
  held.clear();  // released: space comes back
  EXPECT_TRUE(echo_ok(*client, bytes.size()));
}

TEST(RpcBadInput, FloodingDoesNotStarveAnotherApplication) {
  ServiceProcess service;
  std::atomic<bool>* stop = static_cast<std::atomic<bool>*>(
      ::mmap(nullptr, sizeof(std::atomic<bool>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  new (stop) std::atomic<bool>(false);
  // The flooder fills its submission queue as fast as it can with a mix of valid echo requests and
  // garbage, draining its completions so the service always has more of its work to do.
  const pid_t flooder = spawn([&] {
    auto client = Client::connect(service.socket());
    auto& memory = client->memory_for_testing();
    const uint32_t slots = client->welcome().queue_slots;
    net::QueueProducer submit(memory.submission_region(), slots);
    net::QueueConsumer complete(memory.completion_region(), slots);
    std::vector<net::QueueSlot> batch(slots);
    std::mt19937_64 random(3);
    uint64_t id = 1;
    while (!stop->load()) {
      for (auto& slot : batch) {
        if (id % 2 == 0) {
          slot = to_slot(request(id, 0, 256));
        } else {
          for (auto& b : slot.bytes) b = static_cast<std::byte>(random());
        }
        ++id;
      }
      submit.push(batch);
      net::QueueSlot drained[64];
      while (complete.pop(drained) > 0) {
      }
    }
    return true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto client = Client::connect(service.socket());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(echo_ok(*client, 512));
  const auto took = std::chrono::steady_clock::now() - start;
  stop->store(true);
  EXPECT_TRUE(exited_ok(flooder));
  EXPECT_LT(took, std::chrono::seconds(10)) << "300 calls beside a flooder";
  EXPECT_TRUE(service.alive());
  ::munmap(stop, sizeof(std::atomic<bool>));
}

TEST(RpcBadInput, GarbageWrittenIntoTheHeapWhileTheServiceReadsIt) {
  ServiceProcess service;
  auto client = Client::connect(service.socket());
  auto& heap = client->memory_for_testing().send_heap;
  std::atomic<bool> stop{false};
  std::thread scribbler([&] {
    std::mt19937_64 random(5);
    while (!stop) {
      const size_t at = random() % (heap.size() - 4096);
      std::memset(heap.data() + at, static_cast<int>(random()), 4096);
    }
  });
  for (int i = 0; i < 500; ++i) {
    std::vector<uint8_t> bytes(4096, 7);
    auto reply = client->call(kEcho, bytes);
    ASSERT_TRUE(reply.ok());
    ASSERT_EQ(reply.bytes().size(), 4096u);  // the contents may be the scribbler's: that is the app's own business
  }
  stop = true;
  scribbler.join();
  EXPECT_TRUE(service.alive());
}

TEST(RpcBadInput, ImpossibleQueueIndicesDisconnectOnlyThatApplication) {
  ServiceProcess service;
  auto good = Client::connect(service.socket());
  auto bad = Client::connect(service.socket());
  ASSERT_TRUE(echo_ok(*bad, 64));
  // "A million more replies consumed than were posted": the service finds it when it posts the next.
  auto* header = reinterpret_cast<net::QueueHeader*>(bad->memory_for_testing().completion_region());
  header->head.store(header->head.load() + 1'000'000);
  EXPECT_THROW(
      {
        auto m = bad->allocate(64);
        bad->wait(bad->send(kEcho, m, 64), std::chrono::milliseconds(5000));
      },
      EnvironmentError);
  EXPECT_TRUE(ServiceProcess::eventually([&] { return service.log().find("reclaimed") != std::string::npos; }));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(echo_ok(*good, 64));
  EXPECT_TRUE(service.alive());
}

TEST(RpcBadInput, AClientKilledMidCallIsReclaimedAndOthersAreUnaffected) {
  ServiceProcess service;
  auto steady = Client::connect(service.socket());
  ASSERT_TRUE(echo_ok(*steady, 64));
  const int mappings = service.shared_mappings();
  const int fds = service.open_fds();
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t victim = spawn([&] {
    auto client = Client::connect(service.socket());
    for (int i = 0; i < 100; ++i) {
      auto m = client->allocate(64 * 1024);
      std::memset(m.bytes.data(), i, m.bytes.size());
      client->send(kEcho, m, m.bytes.size());  // never waited for: mid-call when killed
    }
    [[maybe_unused]] ssize_t n = ::write(ready[1], "x", 1);
    for (;;) ::pause();
    return true;
  });
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  EXPECT_GT(service.shared_mappings(), mappings);
  ::kill(victim, SIGKILL);
  int status;
  ::waitpid(victim, &status, 0);
  EXPECT_TRUE(ServiceProcess::eventually([&] { return service.shared_mappings() == mappings; }))
      << "the dead client's shared memory is still mapped in the service";
  EXPECT_TRUE(ServiceProcess::eventually([&] { return service.open_fds() == fds; }))
      << "the dead client's descriptors are still open in the service";
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(echo_ok(*steady, 2048));
  EXPECT_TRUE(service.alive());
  ::close(ready[0]);
  ::close(ready[1]);
}

}  // namespace
}  // namespace fixnet::rpc
