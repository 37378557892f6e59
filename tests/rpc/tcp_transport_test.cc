// The TCP transport end to end, in real processes over loopback: a client application → fixnetd A
// (--peer) → TCP → fixnetd B (--listen) → a serving application, which answers echo (method 1) and a
// tiny key-value store (2 put "key=value", 3 get "key"; 4 holds a request until a 5 echoes all held
// ones; 9 never answers). Then live upgrades of both transports with calls in flight and frames cut
// in half, a peer service killed mid-call, and raw TCP peers that break the framing.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>

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

constexpr uint32_t kEcho = 1, kPut = 2, kGet = 3, kHold = 4, kRelease = 5, kNeverAnswer = 9;

std::vector<uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }
std::string text_of(std::span<const uint8_t> b) { return {b.begin(), b.end()}; }

// The serving application: runs until the service goes away.
bool serve(const fs::path& socket) {
  auto server = Server::bind(socket);
  std::map<std::string, std::string> store;
  std::vector<Server::Request> held;
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
      case kHold: held.push_back(std::move(*request)); break;
      case kRelease:
        for (auto& h : held) server->reply(h.call_id(), h.bytes());
        held.clear();
        server->reply(request->call_id(), {});
        break;
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

// An idle connection costs its runtime nothing per round: while one application makes 2000 calls
// (its runtime polling between them), the four idle applications' tcp-client engines, whose
// connections are up (one call each first), make no recv on their sockets.
TEST(RpcTcpTransport, IdleConnectionsAreNotReadEveryRound) {
  TwoServices s;
  constexpr size_t kIdle = 4;
  std::vector<std::unique_ptr<Client>> idle;
  for (size_t i = 0; i < kIdle; ++i) {
    idle.push_back(Client::connect(s.a.socket()));
    ASSERT_TRUE(echoes(*idle.back(), kEcho, 8, i));
  }
  auto busy = Client::connect(s.a.socket());
  auto recvs = [&](size_t app) { return testing::engines(s.a, app).back()["counters"]["recv_calls"].get<uint64_t>(); };
  std::vector<uint64_t> before;
  for (size_t i = 0; i < kIdle; ++i) before.push_back(recvs(i));
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(busy->call(kEcho, bytes_of("x")).ok());
  EXPECT_GE(recvs(kIdle), 2000u) << "the busy application's replies were read (the counter counts)";
  for (size_t i = 0; i < kIdle; ++i)
    EXPECT_EQ(recvs(i), before[i]) << "idle application " << i << "'s socket was read while it had nothing";
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

// Calls the serving application holds (kHold) until a kRelease: in flight on A's tcp-client (in its
// table of waiting calls) and on B's tcp-server (in its table of calls the application holds).
struct HeldCalls {
  std::vector<std::pair<uint64_t, uint64_t>> calls;  // call id, seed
  explicit HeldCalls(Client& client, size_t n) {
    for (uint64_t seed = 0; seed < n; ++seed) {
      const auto bytes = pattern(100 + seed * 13, seed);
      auto m = client.allocate(bytes.size());
      std::memcpy(m.bytes.data(), bytes.data(), bytes.size());
      calls.emplace_back(client.send(kHold, m, bytes.size()), seed);
    }
    // An echo behind them on the same connection comes back only after B delivered them all.
    EXPECT_TRUE(echoes(client, kEcho, 64, 999));
  }
  // Releases them; true when every one came back right.
  bool answered(Client& client) {
    if (!client.call(kRelease, {}).ok()) return false;
    for (const auto& [id, seed] : calls) {
      auto reply = client.wait(id, std::chrono::milliseconds(10000));
      if (!reply.ok() || text_of(reply.bytes()) != text_of(pattern(100 + seed * 13, seed))) return false;
    }
    return true;
  }
};

// Upgrading a transport moves its connection with everything in it (docs/rpc.md, "Upgrading a
// transport"): under echo load from three applications, with calls held in flight on both sides,
// tcp-client on A and tcp-server on B go back and forth between the built-in engines and the
// plugin builds of the same source, ten times. Every upgrade is done (none refused), every call is
// answered with its own bytes, none fails, no connection is made anew.
TEST(RpcTcpTransport, UpgradingBothTransportsWithCallsInFlightLosesAndFailsNone) {
  TwoServices s;
  auto holder = Client::connect(s.a.socket());
  HeldCalls held(*holder, 40);
  std::vector<std::unique_ptr<testing::LoadClient>> load;
  for (int i = 0; i < 3; ++i) load.push_back(std::make_unique<testing::LoadClient>(s.a.socket(), 64));
  for (int round = 0; round < 10; ++round) {
    const bool plugin = round % 2 == 0;
    const auto client = testing::ctl(s.a, std::string("upgrade tcp-client --plugin ") +
                                              (plugin ? TCP_CLIENT_PLUGIN : "tcp-client") + " --all");
    ASSERT_EQ(client.exit_code, 0) << client.output;
    const auto server = testing::ctl(s.b, std::string("upgrade tcp-server --plugin ") +
                                              (plugin ? TCP_SERVER_PLUGIN : "tcp-server") + " --all");
    ASSERT_EQ(server.exit_code, 0) << server.output;
    if (round == 0) {
      EXPECT_EQ(testing::engines(s.a).back()["origin"], TCP_CLIENT_PLUGIN);
      EXPECT_EQ(testing::engines(s.b).back()["origin"], TCP_SERVER_PLUGIN);
    }
  }
  EXPECT_TRUE(held.answered(*holder)) << "a call held in flight across the upgrades was lost or changed";
  for (auto& l : load) {
    l->stop();
    EXPECT_GT(l->good(), 0u);
    EXPECT_EQ(l->bad(), 0u) << l->first_error();
  }
  EXPECT_EQ(holder->send_heap_free_bytes(), holder->welcome().send_heap_bytes);
  // One connection from A to B per application, never made anew: the sockets moved.
  for (size_t app = 0; app < 4; ++app) {
    const auto transport = testing::engines(s.a, app).back();
    EXPECT_EQ(transport["counters"]["connects"], 1u) << transport.dump();
    EXPECT_EQ(transport["counters"]["failed"], 0u) << transport.dump();
  }
}

// A successor whose restore throws (here one that reads no predecessor's state) leaves the old
// transport in place with its connection and calls: the operator gets the error, traffic goes on.
TEST(RpcTcpTransport, ATransportUpgradeWhoseRestoreThrowsIsRolledBack) {
  TwoServices s;
  auto holder = Client::connect(s.a.socket());
  HeldCalls held(*holder, 20);
  testing::LoadClient load(s.a.socket(), 32);
  for (auto [service, engine] : {std::pair{&s.a, "tcp-client"}, std::pair{&s.b, "tcp-server"}}) {
    const auto r = testing::ctl(*service, std::string("upgrade ") + engine + " --plugin " BAD_RESTORE_PLUGIN " --all");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("cannot read state version 2"), std::string::npos) << r.output;
    EXPECT_EQ(testing::engines(*service).back()["name"], engine);
    EXPECT_EQ(testing::engines(*service).back()["origin"], "built in");
  }
  EXPECT_TRUE(echoes(*holder, kEcho, 64, 5));
  EXPECT_TRUE(held.answered(*holder));
  load.stop();
  EXPECT_GT(load.good(), 0u);
  EXPECT_EQ(load.bad(), 0u) << load.first_error();
}

// A counter of the transport: the last engine of `service`'s first application.
uint64_t transport_counter(const ServiceProcess& service, const char* counter) {
  return testing::engines(service).back()["counters"][counter].get<uint64_t>();
}

// Frames cut in half move too. A raw peer service that stops reading holds A's 1 MiB requests
// half-written in tcp-client (the kernel's buffers full); A's engine is upgraded; then the peer
// reads every request intact, and answers with a reply cut in half around another upgrade, so the
// successor goes on reading a payload its predecessor began.
TEST(RpcTcpTransport, UpgradingTheTcpClientMidFrameBothWays) {
  testing::RawListener listener(4096);
  ServiceProcess a({"--peer", "127.0.0.1:" + std::to_string(listener.port())});
  auto client = Client::connect(a.socket());
  auto first = client->allocate(8);
  std::memcpy(first.bytes.data(), "greeting", 8);
  const uint64_t greeting = client->send(kEcho, first, 8);
  testing::RawPeer peer = listener.accept();
  ASSERT_EQ(peer.receive()->first.kind, FrameKind::kHello);
  peer.hello();
  auto request = peer.receive();
  ASSERT_TRUE(request);
  ASSERT_EQ(request->second, "greeting");
  // Requests the peer does not read yet: more than the kernel buffers, so some wait half-sent.
  std::vector<std::pair<uint64_t, uint64_t>> calls;  // call id, size
  for (uint64_t i = 0; i < 10; ++i) {
    const auto bytes = pattern((1u << 20) + i, i);
    auto m = client->allocate(bytes.size());
    std::memcpy(m.bytes.data(), bytes.data(), bytes.size());
    calls.emplace_back(client->send(kEcho, m, bytes.size()), bytes.size());
  }
  // The kernel takes what it takes, then a frame stays cut in half: the same count twice running.
  uint64_t taken = 0;
  ASSERT_TRUE(ServiceProcess::eventually([&] {
    const uint64_t now = transport_counter(a, "sending_bytes");
    return std::exchange(taken, now) == now && now > 0;
  })) << "no request stayed half-sent";
  const auto mid_send = testing::ctl(a, "upgrade tcp-client --plugin " TCP_CLIENT_PLUGIN " --all");
  ASSERT_EQ(mid_send.exit_code, 0) << mid_send.output;
  EXPECT_EQ(transport_counter(a, "sending_bytes"), taken) << "the successor did not take the half-sent frame";
  std::vector<uint64_t> wire_ids;
  for (uint64_t i = 0; i < calls.size(); ++i) {
    auto frame = peer.receive();
    ASSERT_TRUE(frame) << "request " << i;
    EXPECT_EQ(frame->second, text_of(pattern((1u << 20) + i, i))) << "request " << i << " arrived changed";
    wire_ids.push_back(frame->first.call_id);
  }
  // The greeting's reply, cut in half around an upgrade (back to the built-in engine).
  FrameHeader reply;
  reply.kind = FrameKind::kReply;
  reply.method = kEcho;
  reply.call_id = request->first.call_id;
  reply.payload_length = 8;
  peer.send(encode_frame_header(reply));
  peer.send(bytes_of("gree"));
  const uint64_t half = kFrameHeaderBytes + 4;
  ASSERT_TRUE(ServiceProcess::eventually([&] { return transport_counter(a, "receiving_bytes") == half; }))
      << "A did not read the half it has";
  const auto mid_read = testing::ctl(a, "upgrade tcp-client --plugin tcp-client --all");
  ASSERT_EQ(mid_read.exit_code, 0) << mid_read.output;
  EXPECT_EQ(transport_counter(a, "receiving_bytes"), half) << "the successor did not take the half-read reply";
  peer.send(bytes_of("ting"));
  auto answer = client->wait(greeting, std::chrono::milliseconds(10000));
  ASSERT_TRUE(answer.ok()) << status_text(answer.status());
  EXPECT_EQ(text_of(answer.bytes()), "greeting");
  for (uint64_t i = 0; i < calls.size(); ++i) {
    reply.call_id = wire_ids[i];
    reply.payload_length = 3;
    peer.send(reply, bytes_of("ok" + std::to_string(i % 10)));
    auto r = client->wait(calls[i].first, std::chrono::milliseconds(10000));
    ASSERT_TRUE(r.ok()) << status_text(r.status());
    EXPECT_EQ(text_of(r.bytes()), "ok" + std::to_string(i % 10));
  }
  EXPECT_EQ(client->send_heap_free_bytes(), client->welcome().send_heap_bytes);
}

// The serving side mid-frame: a raw caller sends a request's header and half its payload, B's
// tcp-server is upgraded, the rest arrives: the successor delivers the whole request.
TEST(RpcTcpTransport, UpgradingTheTcpServerMidFrame) {
  TwoServices s;
  RawPeer peer(s.port);
  peer.hello();
  ASSERT_EQ(peer.receive()->first.kind, FrameKind::kHello);
  const auto payload = pattern(3000, 7);
  FrameHeader request;
  request.kind = FrameKind::kRequest;
  request.method = kEcho;
  request.call_id = 42;
  request.payload_length = payload.size();
  peer.send(encode_frame_header(request));
  peer.send(std::span(payload).first(1000));
  const uint64_t half = kFrameHeaderBytes + 1000;
  ASSERT_TRUE(ServiceProcess::eventually([&] { return transport_counter(s.b, "receiving_bytes") == half; }))
      << "B did not read the first part";
  const auto r = testing::ctl(s.b, "upgrade tcp-server --plugin " TCP_SERVER_PLUGIN " --all");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(transport_counter(s.b, "receiving_bytes"), half) << "the successor did not take the half-read request";
  peer.send(std::span(payload).subspan(1000));
  auto reply = peer.receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->first.kind, FrameKind::kReply);
  EXPECT_EQ(reply->first.call_id, 42u);
  EXPECT_EQ(reply->second, text_of(payload));
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
