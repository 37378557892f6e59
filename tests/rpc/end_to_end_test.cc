// The datapath end to end: a real fixnetd process (non-root) and real client processes.
#include <gtest/gtest.h>

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
using testing::echoes;
using testing::pattern;
using testing::ServiceProcess;
using testing::spawn;

constexpr uint32_t kEcho = 1;

TEST(RpcEndToEnd, EchoesMessagesFrom8BytesTo1MiB) {
  ServiceProcess service;
  auto client = Client::connect(service.socket());
  for (size_t size = 8; size <= (1u << 20); size *= 2)
    for (uint64_t seed = 0; seed < 4; ++seed) ASSERT_TRUE(echoes(*client, kEcho, size, seed)) << size << " bytes";
  // Many small calls, 64 outstanding at a time, replies taken in reverse order.
  for (int round = 0; round < 40; ++round) {
    std::vector<std::pair<uint64_t, uint64_t>> calls;  // call id, seed
    for (int i = 0; i < 64; ++i) {
      const auto request = pattern(100, round * 64 + i);
      auto m = client->allocate(request.size());
      std::memcpy(m.bytes.data(), request.data(), request.size());
      calls.emplace_back(client->send(kEcho, m, request.size()), round * 64 + i);
    }
    for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
      auto reply = client->wait(it->first);
      ASSERT_TRUE(reply.ok());
      ASSERT_EQ(std::vector<uint8_t>(reply.bytes().begin(), reply.bytes().end()), pattern(100, it->second));
    }
  }
  EXPECT_EQ(client->send_heap_free_bytes(), client->welcome().send_heap_bytes)
      << "the service must hand every send buffer back";
  EXPECT_TRUE(service.alive());
}

TEST(RpcEndToEnd, ManyClientProcessesAtOnce) {
  ServiceProcess service;
  std::vector<pid_t> clients;
  for (int c = 0; c < 4; ++c)
    clients.push_back(spawn([&, c] {
      auto client = Client::connect(service.socket());
      for (int i = 0; i < 300; ++i)
        if (!echoes(*client, kEcho, 1 + (i * 997 + c * 131) % 20000, c * 1000 + i)) return false;
      return true;
    }));
  for (pid_t pid : clients) EXPECT_TRUE(exited_ok(pid));
}

TEST(RpcEndToEnd, DedicatedRuntimesWithThePluginTransport) {
  ServiceProcess service({"--runtime", "dedicated", "--transport", ECHO_PLUGIN});
  auto a = Client::connect(service.socket());
  auto b = Client::connect(service.socket());
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(echoes(*a, kEcho, 64, i));
    ASSERT_TRUE(echoes(*b, kEcho, 4096, i));
  }
  EXPECT_NE(service.log().find("transport echo, dedicated runtimes"), std::string::npos) << service.log();
}

TEST(RpcEndToEnd, RefusesAUidThatIsNotAllowed) {
  ServiceProcess service({}, /*allow_tests=*/false);
  try {
    Client::connect(service.socket());
    ADD_FAILURE() << "connected with a uid the service does not allow";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("is not allowed to use this service"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(service.alive());
}

TEST(RpcEndToEnd, IdleServiceUsesAlmostNoCpu) {
  ServiceProcess service;
  auto client = Client::connect(service.socket());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(echoes(*client, kEcho, 64, i));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // past the spin period
  const double before = service.cpu_seconds();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double used = service.cpu_seconds() - before;
  EXPECT_LT(used, 0.03) << "an idle service with a connected application used " << used << " s of CPU in 1 s";
  ASSERT_TRUE(echoes(*client, kEcho, 64, 1)) << "and it still wakes up";
}

TEST(RpcEndToEnd, ClientNoticesTheServiceGoingAway) {
  auto service = std::make_unique<ServiceProcess>();
  auto client = Client::connect(service->socket());
  ASSERT_TRUE(echoes(*client, kEcho, 64, 1));
  ::kill(service->pid(), SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto request = pattern(64, 2);
  EXPECT_THROW(client->call(kEcho, request), EnvironmentError);
}

}  // namespace
}  // namespace fixnet::rpc
