// The TCP transport end to end, in real processes over loopback: a client application → fixnetd A
// (--peer) → TCP → fixnetd B (--listen) → a serving application, which answers echo (method 1) and a
// tiny key-value store (2 put "key=value", 3 get "key"; 9 never answers). Then a peer service killed
// mid-call, and raw TCP peers that break the framing.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <map>
#include <random>
#include <string>

#include "core/error.h"
#include "rpc/client.h"
#include "rpc/server.h"
#include "rpc/tcp_transport_frame.h"
#include "raw_peer.h"
#include "operator_test_util.h"
#include "rpc_test_util.h"

namespace fixnet::rpc {
namespace {

using testing::exited_ok;
using testing::echoes;
using testing::pattern;
using testing::RawPeer;
using testing::ServiceProcess;
using testing::spawn;
using testing::tcp_port;
namespace fs = std::filesystem;

constexpr uint32_t kEcho = 1, kPut = 2, kGet = 3, kNeverAnswer = 9;

std::vector<uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }
std::string text_of(std::span<const uint8_t> b) { return {b.begin(), b.end()}; }

// The serving application: runs until the service goes away.
bool serve(const fs::path& socket) {
  auto server = Server::bind(socket);
  std::map<std::string, std::string> store;
  for (;;) {
    std::optional<Server::Request> request;
    try {
      request = server->next_request();
    } catch (const EnvironmentError&) {
      return true;
    }
    const std::string body = text_of(request->bytes());
    switch (request->method()) {
      case kEcho: server->reply(request->call_id(), request->bytes()); break;
      case kPut: {
        const auto eq = body.find('=');
        store[body.substr(0, eq)] = body.substr(eq + 1);
        server->reply(request->call_id(), {});
        break;
      }
      case kGet: server->reply(request->call_id(), bytes_of(store.count(body) ? store[body] : "")); break;
      default: break;  // kNeverAnswer
    }
  }
}

// Two services and a serving application on B.
struct TwoServices {
  ServiceProcess b{{"--listen", "127.0.0.1:0"}};
  uint16_t port = tcp_port(b);
  ServiceProcess a{{"--peer", "127.0.0.1:" + std::to_string(port)}};
  pid_t server = spawn([this] { return serve(b.socket()); });
  ~TwoServices() {
    ::kill(server, SIGKILL);
    int status;
    ::waitpid(server, &status, 0);
  }
};

TEST(RpcTcpTransport, EchoAndKeyValueThroughTwoServices) {
  TwoServices s;
  auto client = Client::connect(s.a.socket());
  for (size_t size = 8; size <= (1u << 20); size *= 2)
    for (uint64_t seed = 0; seed < 2; ++seed) ASSERT_TRUE(echoes(*client, kEcho, size, seed)) << size << " bytes";
  EXPECT_TRUE(client->call(kPut, bytes_of("colour=blue")).ok());
  EXPECT_TRUE(client->call(kPut, bytes_of("shape=round")).ok());
  EXPECT_EQ(text_of(client->call(kGet, bytes_of("colour")).bytes()), "blue");
  EXPECT_EQ(text_of(client->call(kGet, bytes_of("shape")).bytes()), "round");
  EXPECT_EQ(text_of(client->call(kGet, bytes_of("size")).bytes()), "");
  EXPECT_EQ(client->send_heap_free_bytes(), client->welcome().send_heap_bytes)
      << "every send buffer comes back once its reply arrived";
}

TEST(RpcTcpTransport, ManyCallsInFlightFromManyClients) {
  TwoServices s;
  std::vector<pid_t> clients;
  for (int c = 0; c < 3; ++c)
    clients.push_back(spawn([&, c] {
      auto client = Client::connect(s.a.socket());
      for (int round = 0; round < 10; ++round) {
        std::vector<std::pair<uint64_t, uint64_t>> calls;  // call id, seed
        for (int i = 0; i < 200; ++i) {
          const uint64_t seed = c * 100000 + round * 1000 + i;
          const auto request = pattern(32 + i * 7, seed);
          auto m = client->allocate(request.size());
          std::memcpy(m.bytes.data(), request.data(), request.size());
          calls.emplace_back(client->send(kEcho, m, request.size()), seed);
        }
        for (size_t i = 0; i < calls.size(); ++i) {
          auto reply = client->wait(calls[i].first, std::chrono::milliseconds(10000));
          if (!reply.ok() || text_of(reply.bytes()) != text_of(pattern(32 + i * 7, calls[i].second))) return false;
        }
      }
      return true;
    }));
  for (pid_t pid : clients) EXPECT_TRUE(exited_ok(pid));
}

TEST(RpcTcpTransport, PeerServiceKilledMidCallFailsEveryWaitingCall) {
  auto b = std::make_unique<ServiceProcess>(std::vector<std::string>{"--listen", "127.0.0.1:0"});
  ServiceProcess a({"--peer", "127.0.0.1:" + std::to_string(tcp_port(*b))});
  const pid_t server = spawn([&] { return serve(b->socket()); });
  auto client = Client::connect(a.socket());
  ASSERT_TRUE(echoes(*client, kEcho, 64, 1));
  std::vector<uint64_t> waiting;
  for (int i = 0; i < 20; ++i) {
    auto m = client->allocate(100);
    waiting.push_back(client->send(i % 2 ? kNeverAnswer : kEcho, m, 100));
  }
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(client->wait(waiting[i * 2], std::chrono::milliseconds(5000)).ok());
  ::kill(b->pid(), SIGKILL);
  for (size_t i = 1; i < waiting.size(); i += 2)
    EXPECT_EQ(client->wait(waiting[i], std::chrono::milliseconds(5000)).status(), Status::kTransportError);
  // The dead peer refuses connections: new calls fail promptly, the service keeps running.
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(client->call(kEcho, pattern(64, 2)).status(), Status::kTransportError);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_EQ(client->send_heap_free_bytes(), client->welcome().send_heap_bytes);
  EXPECT_TRUE(a.alive());
  b.reset();
  EXPECT_TRUE(exited_ok(server));  // it saw its service go away
}

TEST(RpcTcpTransport, UpgradingTheTcpClientWaitsForItsConnectionToBeIdle) {
  TwoServices s;
  auto busy = Client::connect(s.a.socket());
  auto idle = Client::connect(s.a.socket());
  ASSERT_TRUE(echoes(*busy, kEcho, 64, 1));
  ASSERT_TRUE(echoes(*idle, kEcho, 64, 2));
  // A call the server never answers stays in flight on the busy application's connection: its
  // tcp-client engine refuses to be replaced (the reply would be lost) and keeps working.
  auto m = busy->allocate(8);
  busy->send(kNeverAnswer, m, 8);
  const auto refused = testing::ctl(s.a, "upgrade tcp-client --plugin tcp-client --app 1");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("calls in flight"), std::string::npos) << refused.output;
  EXPECT_TRUE(echoes(*busy, kEcho, 64, 3));
  // The idle one's engine is replaced (a new connection to B) and calls go on.
  const auto done = testing::ctl(s.a, "upgrade tcp-client --plugin tcp-client --app 2");
  EXPECT_EQ(done.exit_code, 0) << done.output;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(echoes(*idle, kEcho, 1000, 10 + i));
  // On B the serving application holds the never-answered request: its tcp-server stays too.
  const auto serving = testing::ctl(s.b, "upgrade tcp-server --plugin tcp-server --all");
  EXPECT_EQ(serving.exit_code, 1);
  EXPECT_NE(serving.output.find("requests in flight"), std::string::npos) << serving.output;
  EXPECT_TRUE(echoes(*idle, kEcho, 64, 99));
}

TEST(RpcTcpTransport, ServingNeedsATcpListener) {
  ServiceProcess service;
  try {
    Server::bind(service.socket());
    ADD_FAILURE() << "bound to a service that listens on no TCP address";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--listen"), std::string::npos) << e.what();
  }
}

TEST(RpcTcpBadPeer, RawPeerSpeaksTheFraming) {
  TwoServices s;
  RawPeer peer(s.port);
  peer.hello();
  FrameHeader request;
  request.kind = FrameKind::kRequest;
  request.method = kEcho;
  request.call_id = 77;
  request.payload_length = 5;
  peer.send(request, bytes_of("hello"));
  auto hello = peer.receive();
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->first.kind, FrameKind::kHello);
  auto reply = peer.receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->first.kind, FrameKind::kReply);
  EXPECT_EQ(reply->first.call_id, 77u);
  EXPECT_EQ(reply->second, "hello");
}

// A peer that writes many frames at once: the serving engine reads them through its staging buffer
// several frames per recv, with frames straddling the buffer's end and payloads larger than it
// read in place. Every request must be answered, each with its own bytes, in order.
TEST(RpcTcpBadPeer, ManyFramesInOneWriteAreEachAnswered) {
  TwoServices s;
  RawPeer peer(s.port);
  const size_t sizes[] = {0, 1, 8, 64, 700, 5000, 16384, 20000, 3, 40000, 64, 16383, 16385, 9};
  std::vector<uint8_t> stream;
  auto append = [&](const FrameHeader& h, std::span<const uint8_t> payload) {
    const auto header = encode_frame_header(h);
    stream.insert(stream.end(), header.begin(), header.end());
    stream.insert(stream.end(), payload.begin(), payload.end());
  };
  FrameHeader hello;
  hello.kind = FrameKind::kHello;
  append(hello, {});
  std::vector<std::vector<uint8_t>> payloads;
  for (size_t round = 0; round < 3; ++round)
    for (size_t size : sizes) {
      payloads.push_back(pattern(size, static_cast<uint8_t>(payloads.size())));
      FrameHeader request;
      request.kind = FrameKind::kRequest;
      request.method = kEcho;
      request.call_id = 1000 + payloads.size();
      request.payload_length = size;
      append(request, payloads.back());
    }
  peer.send(stream);  // one write: the service reads it in as few recvs as the kernel allows
  auto greeting = peer.receive();
  ASSERT_TRUE(greeting);
  EXPECT_EQ(greeting->first.kind, FrameKind::kHello);
  for (size_t i = 0; i < payloads.size(); ++i) {
    auto reply = peer.receive();
    ASSERT_TRUE(reply) << "no reply to request " << i;
    EXPECT_EQ(reply->first.kind, FrameKind::kReply);
    EXPECT_EQ(reply->first.call_id, 1001 + i);
    EXPECT_EQ(reply->second, text_of(payloads[i])) << "request " << i << " of " << payloads[i].size() << " bytes";
  }
}

TEST(RpcTcpBadPeer, MalformedFramesAreRefusedAndOthersUnaffected) {
  TwoServices s;
  auto client = Client::connect(s.a.socket());
  ASSERT_TRUE(echoes(*client, kEcho, 64, 1));
  {  // bad magic
    RawPeer peer(s.port);
    std::vector<uint8_t> junk(64, 'x');
    peer.send(junk);
    auto error = peer.error_then_close();
    ASSERT_TRUE(error);
    EXPECT_NE(error->second.find("magic"), std::string::npos) << error->second;
  }
  {  // another version
    RawPeer peer(s.port);
    FrameHeader h;
    h.kind = FrameKind::kHello;
    h.version = 2;
    peer.send(h);
    auto error = peer.error_then_close();
    ASSERT_TRUE(error);
    EXPECT_NE(error->second.find("version 2"), std::string::npos) << error->second;
  }
  {  // a wrong schema hash
    RawPeer peer(s.port);
    FrameHeader h;
    h.kind = FrameKind::kHello;
    h.schema_hash[0] = 0xab;
    peer.send(h);
    auto error = peer.error_then_close();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->first.status, Status::kPeerRefused);
    EXPECT_NE(error->second.find("schema hash mismatch"), std::string::npos) << error->second;
  }
  {  // an oversized length: the caller waiting on call 5 is told so
    RawPeer peer(s.port);
    peer.hello();
    FrameHeader h;
    h.kind = FrameKind::kRequest;
    h.method = kEcho;
    h.call_id = 5;
    h.payload_length = uint64_t{1} << 40;
    peer.send(h);
    auto error = peer.error_then_close();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->first.call_id, 5u);
    EXPECT_EQ(error->first.status, Status::kTooLarge);
  }
  // Truncated frames: one peer stops mid-header and stays, another mid-payload and leaves.
  RawPeer stalled(s.port);
  stalled.hello();
  stalled.send(std::vector<uint8_t>(20, 'F'));
  {
    RawPeer peer(s.port);
    peer.hello();
    FrameHeader h;
    h.kind = FrameKind::kRequest;
    h.method = kEcho;
    h.call_id = 6;
    h.payload_length = 1000;
    peer.send(h, std::vector<uint8_t>(10, 1));
  }
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(echoes(*client, kEcho, 1000, i)) << "other connections are unaffected";
  EXPECT_TRUE(s.a.alive());
  EXPECT_TRUE(s.b.alive());
}

}  // namespace
}  // namespace fixnet::rpc
