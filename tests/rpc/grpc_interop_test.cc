// gRPC interop in real processes (docs/rpc.md, "gRPC interop"): ordinary gRPC programs — a libgrpc++
// program on protoc's generated code (rpc-test-grpc-peer) and Debian's python3-grpcio
// (grpc_client.py) — calling fixnet serving applications through `fixnetd --grpc-listen`, and fixnet
// applications calling an ordinary gRPC server through `fixnetd --grpc-peer`; bad input answered with
// gRPC statuses (malformed protobuf, unknown methods, no serving application, one killed mid-call)
// while the service keeps running.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <functional>
#include <thread>

#include "core/error.h"
#include "echo.fixnet.h"
#include "kv.fixnet.h"
#include "operator_test_util.h"
#include "rpc_test_util.h"

namespace fixnet::rpc {
namespace {

namespace fs = std::filesystem;
using testing::ProgramResult;
using testing::run_program;
using testing::schema_cache;
using testing::ServiceProcess;

const std::string kApps = EXAMPLES_RPC_DIR;

// A program run in the background until the test ends (SIGKILL), its stdout in a file.
class Background {
 public:
  explicit Background(std::vector<std::string> args) {
    std::string pattern = (fs::temp_directory_path() / "fixnet-grpc-test-XXXXXX").string();
    const int fd = ::mkstemp(pattern.data());
    output_ = pattern;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fd, 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fd);
  }
  ~Background() {
    kill();
    std::error_code ec;
    fs::remove(output_, ec);
  }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string output() const { return testing::read_text(output_); }
  // Waits until the program printed `text`.
  bool printed(const std::string& text) const {
    return ServiceProcess::eventually([&] { return output().find(text) != std::string::npos; });
  }

 private:
  pid_t pid_ = -1;
  fs::path output_;
};

// The ordinary gRPC server: Echo and KeyValue (on `port`, 0: any); its address once it printed its port.
struct GrpcServer {
  explicit GrpcServer(int port = 0) : program({GRPC_PEER, "serve", std::to_string(port)}) {}
  Background program;
  std::string address() const {
    EXPECT_TRUE(program.printed("port "));
    const std::string out = program.output();
    return "127.0.0.1:" + std::to_string(std::stoi(out.substr(out.find("port ") + 5)));
  }
};

// A fixnet service taking gRPC clients; `extra` options after.
struct GrpcListening {
  explicit GrpcListening(std::vector<std::string> extra = {})
      : service([&] {
          std::vector<std::string> args{"--grpc-listen", "127.0.0.1:0", "--schema-cache",
                                        schema_cache().string()};
          args.insert(args.end(), extra.begin(), extra.end());
          return args;
        }()) {}
  ServiceProcess service;
  std::string address() const {
    std::string log;
    EXPECT_TRUE(ServiceProcess::eventually([&] {
      log = service.log();
      return log.find("(grpc port ") != std::string::npos;
    }));
    return "127.0.0.1:" + std::to_string(std::stoi(log.substr(log.find("(grpc port ") + 11)));
  }
  // Waits until `n` serving applications are attached.
  void serving(int n) const {
    EXPECT_TRUE(ServiceProcess::eventually([&] {
      const std::string log = service.log();
      int found = 0;
      for (size_t at = 0; (at = log.find("attached (serving)", at)) != std::string::npos; ++at) ++found;
      return found >= n;
    })) << service.log();
  }
};

ProgramResult grpc_peer(const std::string& args) { return run_program(std::string(GRPC_PEER) + " " + args); }

// One call from python3-grpcio with raw request bytes (hex): "ok HEX" or "error CODE: details".
std::string python_call(const std::string& address, const std::string& method, const std::string& hex) {
  const auto r = run_program(std::string(DEBIAN_PYTHON3) + " " + GRPC_CLIENT_PY + " " + address + " " +
                             method + " '" + hex + "'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.output;
}

// EchoRequest / EchoReply {bytes data = 1} holding `text` (shorter than 128 bytes), as hex.
std::string echo_message_hex(const std::string& text) {
  static const char* digits = "0123456789abcdef";
  std::string hex = "0a";
  auto byte = [&](unsigned char b) {
    hex += digits[b >> 4];
    hex += digits[b & 15];
  };
  byte(static_cast<unsigned char>(text.size()));
  for (unsigned char c : text) byte(c);
  return hex;
}

ProgramResult fixnet_app(const std::string& app, const fs::path& socket, const std::string& args) {
  return run_program(kApps + "/" + app + " " + socket.string() + " " + args);
}

TEST(RpcGrpcInterop, LibgrpcClientCallsFixnetEchoServer) {
  GrpcListening s;
  Background server({kApps + "/echo_server", s.service.socket().string()});
  s.serving(1);
  const auto r = grpc_peer("echo " + s.address() + " 'hello from grpc' 200");
  EXPECT_EQ(r.exit_code, 0) << r.output << s.service.log();
  EXPECT_EQ(r.output, "hello from grpc\n");
}

TEST(RpcGrpcInterop, PythonGrpcioClientCallsFixnetEchoServer) {
  GrpcListening s;
  Background server({kApps + "/echo_server", s.service.socket().string()});
  s.serving(1);
  const std::string hex = echo_message_hex("hi from python");
  EXPECT_EQ(python_call(s.address(), "/fixnet.examples.echo.Echo/Call", hex), "ok " + hex + "\n")
      << s.service.log();
  // An empty message (all defaults) is a valid request, answered with an empty reply.
  EXPECT_EQ(python_call(s.address(), "/fixnet.examples.echo.Echo/Call", ""), "ok \n");
}

TEST(RpcGrpcInterop, FixnetEchoClientCallsGrpcServer) {
  GrpcServer grpc;
  ServiceProcess service({"--grpc-peer", grpc.address(), "--schema-cache", schema_cache().string()});
  const auto r = fixnet_app("echo_client", service.socket(), "'hello from fixnet' 200");
  EXPECT_EQ(r.exit_code, 0) << r.output << service.log();
  EXPECT_EQ(r.output, "hello from fixnet\n");
}

// Several clients at once, each with many calls in flight, both ways; two serving applications
// share the inbound calls (round-robin).
TEST(RpcGrpcInterop, ManyClientsManyCallsInFlight) {
  constexpr int kClients = 4;
  GrpcListening s;
  Background server1({kApps + "/echo_server", s.service.socket().string()});
  Background server2({kApps + "/echo_server", s.service.socket().string()});
  s.serving(2);
  GrpcServer grpc;
  ServiceProcess calling({"--grpc-peer", grpc.address(), "--schema-cache", schema_cache().string()});
  std::vector<ProgramResult> inbound(kClients), outbound(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back(
        [&, i] { inbound[i] = grpc_peer("echo " + s.address() + " in" + std::to_string(i) + " 300"); });
    clients.emplace_back([&, i] {
      outbound[i] = fixnet_app("echo_client", calling.socket(), "out" + std::to_string(i) + " 200");
    });
  }
  for (auto& t : clients) t.join();
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(inbound[i].output, "in" + std::to_string(i) + "\n") << s.service.log();
    EXPECT_EQ(outbound[i].output, "out" + std::to_string(i) + "\n") << calling.log();
  }
}

TEST(RpcGrpcInterop, KeyValueBothWays) {
  {  // libgrpc++ client → fixnetd --grpc-listen → kv_server
    GrpcListening s;
    Background server({kApps + "/kv_server", s.service.socket().string()});
    s.serving(1);
    const std::string kv = "kv " + s.address() + " ";
    EXPECT_EQ(grpc_peer(kv + "put colour blue").output, "stored\n");
    EXPECT_EQ(grpc_peer(kv + "put shape round").output, "stored\n");
    EXPECT_EQ(grpc_peer(kv + "put colour green").output, "replaced\n");
    EXPECT_EQ(grpc_peer(kv + "get colour").output, "green\n");
    EXPECT_EQ(grpc_peer(kv + "get weight").output, "not found\n");
    EXPECT_EQ(grpc_peer(kv + "scan").output, "colour=green\nshape=round\n") << s.service.log();
    EXPECT_EQ(grpc_peer(kv + "scan a t 1").output, "colour=green\n");
  }
  {  // kv_client → fixnetd --grpc-peer → libgrpc++ server
    GrpcServer grpc;
    ServiceProcess service({"--grpc-peer", grpc.address(), "--schema-cache", schema_cache().string()});
    auto kv = [&](const std::string& args) { return fixnet_app("kv_client", service.socket(), args).output; };
    EXPECT_EQ(kv("put colour blue"), "stored\n") << service.log();
    EXPECT_EQ(kv("put colour green"), "replaced\n");
    EXPECT_EQ(kv("put shape round"), "stored\n");
    EXPECT_EQ(kv("get colour"), "green\n");
    EXPECT_EQ(kv("scan"), "colour=green\nshape=round\n");
  }
}

// One serving application answers gRPC clients and peer services at once (grpc-server carries
// tcp-server): a fixnet client through another fixnetd over TCP and a gRPC client see one store.
// kv_server on B, which takes gRPC clients and (--listen) peer services; A calls B over TCP.
struct GrpcAndPeerServices {
  GrpcListening b{{"--listen", "127.0.0.1:0"}};
  ServiceProcess a{{"--peer", "127.0.0.1:" + std::to_string(testing::tcp_port(b.service)), "--schema-cache",
                    schema_cache().string()}};
  Background server{{kApps + "/kv_server", b.service.socket().string()}};
  GrpcAndPeerServices() { b.serving(1); }
};

TEST(RpcGrpcInterop, ServingApplicationAnswersGrpcAndPeerServices) {
  GrpcAndPeerServices s;
  auto& [b, a, server] = s;
  EXPECT_EQ(fixnet_app("kv_client", a.socket(), "put via fixnet-tcp").output, "stored\n")
      << a.log() << b.service.log();
  EXPECT_EQ(grpc_peer("kv " + b.address() + " put via grpc").output, "replaced\n");
  EXPECT_EQ(fixnet_app("kv_client", a.socket(), "get via").output, "grpc\n");
}

// Upgrading grpc-server (no gRPC call held) moves the tcp-server inside it whole: peer services
// and gRPC clients are still answered, and a peer that connects afterwards, to a runtime gone to
// sleep, is accepted (the listener stayed in the watch set when the old engine left).
TEST(RpcGrpcInterop, UpgradingGrpcServerKeepsServingPeerServicesAndGrpcClients) {
  GrpcAndPeerServices s;
  auto& [b, a, server] = s;
  EXPECT_EQ(fixnet_app("kv_client", a.socket(), "put colour blue").output, "stored\n") << b.service.log();
  for (int i = 0; i < 3; ++i) {
    const auto r = run_program(std::string(FIXNET_BINARY) + " rpc ctl --socket " + b.service.socket().string() +
                               " upgrade grpc-server --plugin grpc-server --all");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // B's runtime sleeps
  // (Bounded: were the listener unwatched, the new connection would wait in the backlog forever.)
  EXPECT_EQ(run_program("timeout 20 " + kApps + "/kv_client " + a.socket().string() + " get colour").output, "blue\n")
      << b.service.log();
  EXPECT_EQ(grpc_peer("kv " + b.address() + " get colour").output, "blue\n");
}

// A fixnet KeyValue server whose Get is `get` (Put and Scan do nothing); runs until the service goes.
bool serve_kv_get(const fs::path& socket, std::function<void(const fixnet::examples::kv::GetRequest&,
                                                             fixnet::examples::kv::GetReply&)> get) {
  using namespace fixnet::examples::kv;
  struct Served final : KeyValueService {
    std::function<void(const GetRequest&, GetReply&)> get;
    void Get(const GetRequest& request, GetReply& reply) override { get(request, reply); }
    void Put(const PutRequest&, PutReply&) override {}
    void Scan(const ScanRequest&, ScanReply&) override {}
  } served;
  served.get = std::move(get);
  auto server = KeyValueService::bind(socket.string());
  served.serve(*server);
  return true;
}

// ... whose Get answers (the key as its value) only once `release` exists.
bool serve_get_after(const fs::path& socket, const fs::path& release) {
  return serve_kv_get(socket, [&](const auto& request, auto& reply) {
    while (!fs::exists(release)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    reply.set_found(true);
    reply.set_value(request.key());
  });
}

nlohmann::json grpc_engine(const ServiceProcess& service) {
  return testing::engines(service).back();
}

// Upgrading grpc-server while the serving application holds gRPC calls (one upgrade rolled back, then
// three that succeed): every call is answered, by the engine of the fourth generation, none fails.
TEST(RpcGrpcInterop, UpgradingGrpcServerWithGrpcCallsHeldLosesNone) {
  GrpcListening s;
  const fs::path release = s.service.socket().string() + ".release";
  struct Killed {
    pid_t pid;
    ~Killed() { ::kill(pid, SIGKILL), ::waitpid(pid, nullptr, 0); }
  } app{testing::spawn([&] { return serve_get_after(s.service.socket(), release); })};
  s.serving(1);
  constexpr int kCalls = 6;
  std::vector<ProgramResult> got(kCalls);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCalls; ++i)
    callers.emplace_back([&, i] { got[i] = grpc_peer("kv " + s.address() + " get key" + std::to_string(i)); });
  ASSERT_TRUE(ServiceProcess::eventually([&] { return grpc_engine(s.service)["counters"]["held"] == kCalls; }))
      << grpc_engine(s.service).dump() << s.service.log();
  // An upgrade whose restore throws is rolled back: the old engine keeps the calls.
  const auto refused = testing::ctl(s.service, "upgrade grpc-server --plugin " BAD_RESTORE_PLUGIN " --all");
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_EQ(grpc_engine(s.service)["counters"]["held"], kCalls) << "a rolled-back upgrade lost held calls";
  for (int i = 0; i < 3; ++i) {
    const auto r = testing::ctl(s.service, "upgrade grpc-server --plugin grpc-server --all");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(grpc_engine(s.service)["counters"]["held"], kCalls) << "the successor did not take the held calls";
  }
  std::ofstream(release) << "go";
  for (auto& t : callers) t.join();
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ(got[i].exit_code, 0) << got[i].output << s.service.log();
    EXPECT_EQ(got[i].output, "key" + std::to_string(i) + "\n");
  }
  EXPECT_EQ(grpc_engine(s.service)["counters"]["held"], 0u);
  EXPECT_EQ(grpc_peer("kv " + s.address() + " get after").output, "after\n");
}

// Upgrading grpc-client while calls wait on an ordinary gRPC server: every call is answered right.
TEST(RpcGrpcInterop, UpgradingGrpcClientWithCallsInFlightLosesNone) {
  GrpcServer grpc;
  ServiceProcess service({"--grpc-peer", grpc.address(), "--schema-cache", schema_cache().string()});
  const fs::path release = service.socket().string() + ".release";
  const std::string text = "until:" + release.string();
  constexpr int kCalls = 5;
  ProgramResult held;
  // Releases the held calls and waits for the caller however the test ends.
  struct Caller {
    fs::path release;
    std::thread thread;
    ~Caller() {
      std::ofstream(release) << "go";
      if (thread.joinable()) thread.join();
    }
  } caller{release, std::thread([&] {
             held = fixnet_app("echo_client", service.socket(), "'" + text + "' " + std::to_string(kCalls));
           })};
  ASSERT_TRUE(ServiceProcess::eventually([&] {
    const auto apps = testing::request(service, {{"op", "list"}})["applications"];
    return !apps.empty() && apps[0]["engines"].back()["counters"]["in_flight"] == kCalls;
  })) << testing::request(service, {{"op", "list"}}).dump() << service.log();
  const auto refused = testing::ctl(service, "upgrade grpc-client --plugin " BAD_RESTORE_PLUGIN " --all");
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_EQ(testing::engines(service).back()["counters"]["in_flight"], kCalls) << "a rolled-back upgrade lost calls";
  for (int i = 0; i < 3; ++i) {
    const auto r = testing::ctl(service, "upgrade grpc-client --plugin grpc-client --all");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(testing::engines(service).back()["counters"]["in_flight"], kCalls)
        << "the successor did not take the calls in flight";
  }
  std::ofstream(release) << "go";
  caller.thread.join();
  EXPECT_EQ(held.exit_code, 0) << held.output << service.log();
  EXPECT_EQ(held.output, text + "\n");  // echo_client exits 0 only when every call came back right
}

// A fixnet Echo server that never answers: its first call blocks the handler, and the calls behind
// it stay delivered (held) or wait in its grpc-server engine.
bool serve_echo_never(const fs::path& socket) {
  struct Never final : fixnet::examples::echo::EchoService {
    void Call(const fixnet::examples::echo::EchoRequest&, fixnet::examples::echo::EchoReply&) override {
      std::this_thread::sleep_for(std::chrono::hours(1));
    }
  } never;
  auto server = fixnet::examples::echo::EchoService::bind(socket.string());
  never.serve(*server);
  return true;
}

// A serving application killed with gRPC calls it holds and more its engine never delivered: the
// held ones fail (UNAVAILABLE), the others are routed to another application serving the service,
// which answers them.
TEST(RpcGrpcInterop, CallsAnApplicationNeverGotGoToAnotherWhenItLeaves) {
  GrpcListening s;
  const pid_t never = testing::spawn([&] { return serve_echo_never(s.service.socket()); });
  s.serving(1);
  constexpr int kCalls = 1100;  // more than the 1024 an application may hold
  ProgramResult peer;
  std::thread caller([&] { peer = grpc_peer("echo " + s.address() + " x " + std::to_string(kCalls)); });
  struct Joined {
    std::thread& t;
    ~Joined() { if (t.joinable()) t.join(); }
  } joined{caller};
  size_t held = 0, waiting = 0;
  ASSERT_TRUE(ServiceProcess::eventually([&] {
    const auto counters = grpc_engine(s.service)["counters"];
    held = counters["held"], waiting = counters["waiting"];
    return held + waiting == kCalls;
  })) << grpc_engine(s.service).dump() << s.service.log();
  ASSERT_GT(waiting, 0u) << "every call was delivered: nothing to route again";
  Background answering({kApps + "/echo_server", s.service.socket().string()});
  s.serving(2);
  ::kill(never, SIGKILL), ::waitpid(never, nullptr, 0);
  caller.join();
  EXPECT_NE(peer.exit_code, 0) << "the held calls fail";
  EXPECT_NE(peer.output.find("gRPC status 14: the serving application went away"), std::string::npos)  // UNAVAILABLE
      << peer.output;
  ASSERT_TRUE(ServiceProcess::eventually([&] { return grpc_engine(s.service)["counters"]["served"] == waiting; }))
      << grpc_engine(s.service).dump() << s.service.log();
}

TEST(RpcGrpcInterop, BadInputGetsGrpcStatuses) {
  GrpcListening s;
  const std::string address = s.address();
  const std::string call = "/fixnet.examples.echo.Echo/Call";
  const std::string hello = echo_message_hex("hello");
  // Nobody serves yet: UNAVAILABLE, whatever the method.
  EXPECT_EQ(python_call(address, call, hello).rfind("error UNAVAILABLE: ", 0), 0u);
  Background server({kApps + "/echo_server", s.service.socket().string()});
  s.serving(1);
  // Unknown method of a known service, and an unknown service: UNIMPLEMENTED.
  EXPECT_EQ(python_call(address, "/fixnet.examples.echo.Echo/Shout", hello).rfind("error UNIMPLEMENTED: ", 0),
            0u);
  EXPECT_EQ(python_call(address, "/no.Such/Call", hello).rfind("error UNIMPLEMENTED: ", 0), 0u);
  // Bytes that are not an EchoRequest: a length past the end, a truncated length, field 1 as a varint
  // without its value. INVALID_ARGUMENT; the serving application never sees them.
  for (const std::string bad : {"0a05ff", "0aff", "08"}) {
    const std::string out = python_call(address, call, bad);
    EXPECT_EQ(out.rfind("error INVALID_ARGUMENT: ", 0), 0u) << bad << ": " << out;
  }
  // A libgrpc++ client with the wrong method name gets UNIMPLEMENTED too (status 12).
  const auto r = grpc_peer("kv " + address + " get colour");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("gRPC status 12: "), std::string::npos) << r.output;
  // The service runs on and answers good calls.
  EXPECT_TRUE(s.service.alive());
  EXPECT_EQ(python_call(address, call, hello), "ok " + hello + "\n");
}

// gRPC's own limit is the service's --max-message-bytes: a longer request is refused before any
// application sees it.
TEST(RpcGrpcInterop, OverlongRequestIsResourceExhausted) {
  GrpcListening s({"--max-message-bytes", "1024"});
  Background server({kApps + "/echo_server", s.service.socket().string()});
  s.serving(1);
  const std::string call = "/fixnet.examples.echo.Echo/Call";
  std::string payload;
  for (int i = 0; i < 2000; ++i) payload += "61";
  const std::string out = python_call(s.address(), call, "0ad00f" + payload);  // data: 2000 bytes
  EXPECT_EQ(out.rfind("error RESOURCE_EXHAUSTED: ", 0), 0u) << out;
  EXPECT_EQ(python_call(s.address(), call, echo_message_hex("short")),
            "ok " + echo_message_hex("short") + "\n");
}

// Two fixnet services speaking gRPC to each other: A's grpc-client to B's gRPC server. B's UNIMPLEMENTED
// for a schema it does not serve reaches A's application as status 4.
TEST(RpcGrpcInterop, FixnetToFixnetOverGrpc) {
  GrpcListening b;
  Background server({kApps + "/echo_server", b.service.socket().string()});
  b.serving(1);
  ServiceProcess a({"--grpc-peer", b.address(), "--schema-cache", schema_cache().string()});
  const auto echoed = fixnet_app("echo_client", a.socket(), "'over grpc' 50");
  EXPECT_EQ(echoed.exit_code, 0) << echoed.output << a.log() << b.service.log();
  EXPECT_EQ(echoed.output, "over grpc\n");
  const auto unknown = fixnet_app("kv_client", a.socket(), "get colour");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.output.find("unknown method"), std::string::npos) << unknown.output;
}

// A fixnet handler's failure crosses gRPC both ways: kv_server's Get of a missing key (a StatusError,
// not-found) is NOT_FOUND with its message to a gRPC client, and a fixnet caller behind --grpc-peer
// gets status not-found and the message back.
TEST(RpcGrpcInterop, HandlerStatusesCrossGrpcBothWays) {
  GrpcListening b;
  Background server({kApps + "/kv_server", b.service.socket().string()});
  b.serving(1);
  EXPECT_EQ(python_call(b.address(), "/fixnet.examples.kv.KeyValue/Get", "0a06776569676874"),  // key "weight"
            "error NOT_FOUND: no key 'weight'\n");
  ServiceProcess a({"--grpc-peer", b.address(), "--schema-cache", schema_cache().string()});
  auto kv = fixnet::examples::kv::KeyValueClient::connect(a.socket());
  auto request = kv.make<fixnet::examples::kv::GetRequest>();
  request->set_key("weight");
  auto reply = kv.Get(std::move(request));
  EXPECT_EQ(reply.status(), Status::kNotFound) << status_text(reply.status()) << a.log();
  EXPECT_EQ(reply.message(), "no key 'weight'");
}

// ... whose Get never answers (it leaves a mark and sleeps).
bool serve_holding_get(const fs::path& socket, const fs::path& mark) {
  return serve_kv_get(socket, [&](const auto&, auto&) {
    std::ofstream(mark) << "got it";
    std::this_thread::sleep_for(std::chrono::seconds(60));
  });
}

TEST(RpcGrpcInterop, ServingApplicationKilledMidCall) {
  GrpcListening s;
  const fs::path mark = s.service.socket().string() + ".mark";
  const pid_t app = testing::spawn([&] { return serve_holding_get(s.service.socket(), mark); });
  s.serving(1);
  std::string out;
  std::thread caller([&] { out = python_call(s.address(), "/fixnet.examples.kv.KeyValue/Get", "0a0161"); });
  EXPECT_TRUE(ServiceProcess::eventually([&] { return fs::exists(mark); })) << s.service.log();
  ::kill(app, SIGKILL);
  ::waitpid(app, nullptr, 0);
  caller.join();
  EXPECT_EQ(out.rfind("error UNAVAILABLE: ", 0), 0u) << out << s.service.log();
  EXPECT_TRUE(s.service.alive());
  // Another serving application takes over.
  Background server({kApps + "/kv_server", s.service.socket().string()});
  s.serving(2);
  EXPECT_EQ(grpc_peer("kv " + s.address() + " put k v").output, "stored\n");
}

TEST(RpcGrpcInterop, GrpcServerKilledMidCall) {
  GrpcServer grpc;
  ServiceProcess service({"--grpc-peer", grpc.address(), "--schema-cache", schema_cache().string()});
  ProgramResult held;
  std::thread caller([&] { held = fixnet_app("echo_client", service.socket(), "hold"); });
  EXPECT_TRUE(grpc.program.printed("holding"));
  grpc.program.kill();
  caller.join();
  EXPECT_EQ(held.exit_code, 1);
  EXPECT_NE(held.output.find("transport error"), std::string::npos) << held.output << service.log();
  EXPECT_TRUE(service.alive());
}

// The gRPC server restarts on its port: calls fail meanwhile (status 6), and succeed again once the
// channel reconnected — the service needs no restart.
TEST(RpcGrpcInterop, GrpcServerRestartIsReconnected) {
  auto first = std::make_unique<GrpcServer>();
  const std::string address = first->address();
  ServiceProcess service({"--grpc-peer", address, "--schema-cache", schema_cache().string()});
  EXPECT_EQ(fixnet_app("echo_client", service.socket(), "before").output, "before\n") << service.log();
  first.reset();
  EXPECT_NE(fixnet_app("echo_client", service.socket(), "between").exit_code, 0);
  GrpcServer second(std::stoi(address.substr(address.rfind(':') + 1)));
  EXPECT_EQ(second.address(), address);
  EXPECT_TRUE(ServiceProcess::eventually([&] {
    return fixnet_app("echo_client", service.socket(), "after").exit_code == 0;
  })) << service.log();
}

TEST(RpcGrpcInterop, NoGrpcServerFailsCallsFast) {
  // A port nobody listens on: the calls fail with a transport error, the service runs on.
  GrpcServer grpc;
  const std::string address = grpc.address();
  grpc.program.kill();
  ServiceProcess service({"--grpc-peer", address, "--schema-cache", schema_cache().string()});
  const auto r = fixnet_app("echo_client", service.socket(), "anyone 5");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("transport error"), std::string::npos) << r.output;
  EXPECT_TRUE(service.alive());
}

TEST(RpcGrpcInterop, BadOptionsAreOneLineErrors) {
  std::string fixnetd = std::string(FIXNETD_BINARY) + " --socket /tmp/fixnet-grpc-test-unused.sock";
  if (::getuid() == 0) fixnetd += " --user nobody";
  const auto bad_address = run_program(fixnetd + " --grpc-listen nonsense");
  EXPECT_NE(bad_address.exit_code, 0);
  EXPECT_EQ(bad_address.output.rfind("fixnetd: ", 0), 0u) << bad_address.output;
  EXPECT_NE(bad_address.output.find("nonsense"), std::string::npos) << bad_address.output;
  // A port another fixnetd serves gRPC on: refused, in one line (gRPC's own log is debug-level).
  GrpcListening first;
  const auto taken = run_program(fixnetd + " --grpc-listen " + first.address());
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_EQ(taken.output.rfind("fixnetd: cannot serve gRPC on " + first.address(), 0), 0u) << taken.output;
  EXPECT_EQ(std::count(taken.output.begin(), taken.output.end(), '\n'), 1) << taken.output;
  const auto both = run_program(fixnetd + " --peer 127.0.0.1:1 --grpc-peer 127.0.0.1:2");
  EXPECT_EQ(both.exit_code, 2) << both.output;
  EXPECT_NE(both.output.find("--grpc-peer"), std::string::npos) << both.output;
}

}  // namespace
}  // namespace fixnet::rpc
