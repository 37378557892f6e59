// Schemas end to end, in real processes: the example applications (generated stubs) through two
// fixnetds over TCP with marshalling engines generated, compiled and cached by the services; a peer
// with another schema refused; hostile layouts from an application answered with an error status
// while the service keeps running; `fixnet rpc register` making connects skip the compile; `fixnet bench
// rpc`'s fixnet row on the stubs, its fixnet_raw row without a schema.
#include <google/protobuf/dynamic_message.h>
#include <gtest/gtest.h>
#include <pwd.h>

#include <atomic>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "all_types.fixnet.h"
#include "echo.fixnet.h"
#include "kv.fixnet.h"
#include "core/error.h"
#include "rpc/marshaller.h"
#include "raw_peer.h"
#include "rpc_test_util.h"

namespace fixnet::rpc {
namespace {

namespace fs = std::filesystem;
using testing::ProgramResult;
using testing::RawPeer;
using testing::run_program;
using testing::schema_cache;
using testing::ServiceProcess;
using testing::schema_cache;
using testing::tcp_port;
using fixnet::test::AllTypes;
using fixnet::test::Inner;

const fs::path kExamples = fs::path(FIXNET_SOURCE_DIR) / "examples/rpc";
const fs::path kSchemas = fs::path(FIXNET_SOURCE_DIR) / "tests/rpc/schemas";
const std::string kApps = EXAMPLES_RPC_DIR;


// A serving example application on B, run until the test ends.
class App {
 public:
  App(const std::string& binary, const fs::path& socket) : App(std::vector<std::string>{binary, socket.string()}) {}
  explicit App(std::vector<std::string> args) {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~App() {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }

 private:
  pid_t pid_;
};

struct TwoServices {
  ServiceProcess b{{"--listen", "127.0.0.1:0", "--schema-cache", schema_cache().string()}};
  ServiceProcess a{{"--peer", "127.0.0.1:" + std::to_string(tcp_port(b)), "--schema-cache", schema_cache().string()}};
};

ProgramResult client(const std::string& app, const fs::path& socket, const std::string& args) {
  return run_program(kApps + "/" + app + " " + socket.string() + " " + args);
}

TEST(RpcSchemaEndToEnd, EchoExampleOverTcp) {
  TwoServices s;
  App server(kApps + "/echo_server", s.b.socket());
  const auto r = client("echo_client", s.a.socket(), "'hello fixnet' 50");
  EXPECT_EQ(r.exit_code, 0) << r.output << s.a.log() << s.b.log();
  EXPECT_EQ(r.output, "hello fixnet\n");
  EXPECT_NE(s.a.log().find("marshaller found in the cache"), std::string::npos);
  EXPECT_NE(s.b.log().find("marshaller found in the cache"), std::string::npos);
  EXPECT_TRUE(s.a.alive() && s.b.alive());
}

// `fixnet bench rpc`'s fixnet applications (bench/rpc_apps/): the `fixnet` kind is on the generated
// Echo stubs, so both services put a marshaller on its connections; `fixnet-raw` sends no schema.
// Each caller answers a short latency and a 1 MiB goodput command (it checks every reply's 8 bytes).
void bench_app_row(const std::string& kind, bool marshals) {
  TwoServices s;
  App server(std::vector<std::string>{BENCH_FIXNET_APP, "serve", kind, s.b.socket().string()});
  for (int i = 0; i < 500 && s.b.log().find(" attached") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto r = run_program("printf 'latency 64 0.05\\ngoodput 1048576 0.01\\n' | " + std::string(BENCH_FIXNET_APP) +
                             " call " + kind + " " + s.a.socket().string());
  EXPECT_EQ(r.exit_code, 0) << r.output << s.a.log() << s.b.log();
  EXPECT_EQ(r.output.rfind("ready\nlatency ", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("\ngoodput "), std::string::npos) << r.output;
  for (const ServiceProcess* service : {&s.a, &s.b})
    EXPECT_EQ(service->log().find("marshaller found in the cache") != std::string::npos, marshals) << service->log();
}

TEST(RpcSchemaEndToEnd, BenchRpcFixnetRowUsesTheEchoStubs) { bench_app_row("fixnet", true); }

TEST(RpcSchemaEndToEnd, BenchRpcFixnetRawRowSendsNoSchema) { bench_app_row("fixnet-raw", false); }

TEST(RpcSchemaEndToEnd, KeyValueExampleOverTcp) {
  TwoServices s;
  App server(kApps + "/kv_server", s.b.socket());
  EXPECT_EQ(client("kv_client", s.a.socket(), "put colour blue").output, "stored\n");
  EXPECT_EQ(client("kv_client", s.a.socket(), "put shape round").output, "stored\n");
  EXPECT_EQ(client("kv_client", s.a.socket(), "put colour green").output, "replaced\n");
  EXPECT_EQ(client("kv_client", s.a.socket(), "put size ''").output, "stored\n");
  EXPECT_EQ(client("kv_client", s.a.socket(), "get colour").output, "green\n");
  const auto missing = client("kv_client", s.a.socket(), "get weight");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_EQ(missing.output, "not found\n");
  EXPECT_EQ(client("kv_client", s.a.socket(), "scan").output, "colour=green\nshape=round\nsize=\n");
  EXPECT_EQ(client("kv_client", s.a.socket(), "scan d").output, "shape=round\nsize=\n");
  EXPECT_EQ(client("kv_client", s.a.socket(), "scan a t 1").output, "colour=green\n");
  EXPECT_EQ(client("kv_client", s.a.socket(), "scan x").output, "");
}

TEST(RpcSchemaEndToEnd, PeerWithAnotherSchemaIsRefused) {
  TwoServices s;
  App server(kApps + "/kv_server", s.b.socket());  // B's serving application speaks kv.proto
  const auto r = client("echo_client", s.a.socket(), "hello");  // A's caller speaks echo.proto
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("peer service refused"), std::string::npos) << r.output;
  // Its stub names the service, which nobody serves on B (RpcRouting.* has more).
  EXPECT_TRUE(ServiceProcess::eventually(
      [&] { return s.a.log().find("no application serves fixnet.examples.echo.Echo") != std::string::npos; }))
      << s.a.log();
  // A caller naming no service may reach any serving application, which compares schemas.
  auto unnamed = Client::connect(s.a.socket(), fixnet::examples::echo::schema_echo::binding());
  const std::vector<uint8_t> empty_request(16, 0);  // an EchoRequest in the heap layout: no data
  EXPECT_EQ(unnamed->call(1, empty_request).status(), Status::kPeerRefused);
  EXPECT_TRUE(ServiceProcess::eventually([&] { return s.a.log().find("schema hash mismatch") != std::string::npos; }))
      << s.a.log();
  EXPECT_TRUE(s.a.alive() && s.b.alive());
  // The right schema still works on the same services.
  EXPECT_EQ(client("kv_client", s.a.socket(), "put k v").output, "stored\n");
}

// A peer that is not fixnet: libprotobuf's own encoding of kv.proto's messages, framed by hand, to a
// service whose serving application is kv_server. What the peer sends is protobuf; what it gets back
// parses with libprotobuf; bytes that do not decode are refused before the application sees them.
TEST(RpcSchemaEndToEnd, AForeignPeerSpeakingProtobufIsServedAndItsGarbageRefused) {
  ServiceProcess b{{"--listen", "127.0.0.1:0", "--schema-cache", schema_cache().string()}};
  App server(kApps + "/kv_server", b.socket());
  const auto schema = Schema::parse(kExamples / "kv.proto");
  google::protobuf::DynamicMessageFactory factory;
  auto message = [&](const char* name) {
    return std::unique_ptr<google::protobuf::Message>(
        factory.GetPrototype(schema->file()->FindMessageTypeByName(name))->New());
  };
  RawPeer peer(tcp_port(b));
  peer.hello(schema->hash());
  auto hello = peer.receive();
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->first.schema_hash, schema->hash());
  auto call = [&](uint32_t method, uint64_t call_id, const std::string& payload) {
    FrameHeader h;
    h.kind = FrameKind::kRequest;
    h.method = method;
    h.call_id = call_id;
    h.payload_length = payload.size();
    peer.send(h, std::span(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()));
    return peer.receive();
  };
  auto put = message("PutRequest");
  put->GetReflection()->SetString(put.get(), put->GetDescriptor()->FindFieldByName("key"), "colour");
  put->GetReflection()->SetString(put.get(), put->GetDescriptor()->FindFieldByName("value"), "blue");
  auto answer = call(2, 10, put->SerializeAsString());
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->first.kind, FrameKind::kReply);
  EXPECT_EQ(answer->first.call_id, 10u);
  // Garbage for a PutRequest: a truncated length-delimited field. An Error frame, status 8.
  answer = call(2, 11, std::string("\x0a\x7f" "ab", 4));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->first.kind, FrameKind::kError);
  EXPECT_EQ(answer->first.call_id, 11u);
  EXPECT_EQ(answer->first.status, Status::kBadMessage);
  // The connection and the application are fine: a Get finds what the Put stored.
  auto get = message("GetRequest");
  get->GetReflection()->SetString(get.get(), get->GetDescriptor()->FindFieldByName("key"), "colour");
  answer = call(1, 12, get->SerializeAsString());
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->first.kind, FrameKind::kReply);
  auto reply = message("GetReply");
  ASSERT_TRUE(reply->ParseFromString(answer->second));
  EXPECT_TRUE(reply->GetReflection()->GetBool(*reply, reply->GetDescriptor()->FindFieldByName("found")));
  EXPECT_EQ(reply->GetReflection()->GetString(*reply, reply->GetDescriptor()->FindFieldByName("value")), "blue");
  EXPECT_TRUE(b.alive());
}

// A serving application that answers with a layout pointing outside its heap: the remote caller
// gets status 8, both services keep running.
TEST(RpcSchemaBadInput, AServingApplicationsHostileReplyFailsOnlyThatCall) {
  TwoServices s;
  using fixnet::examples::kv::GetReply;
  const pid_t server = testing::spawn([&] {
    auto bound = Server::bind(s.b.socket(), fixnet::examples::kv::schema_kv::binding());
    for (;;) {
      auto request = bound->next_request();
      auto m = bound->allocate(GetReply::kLayoutBytes);  // found (slot 0), value {offset, length} (slot 8)
      std::memset(m.bytes.data(), 0, m.bytes.size());
      const uint64_t outside[2] = {bound->connection().welcome().send_heap_bytes - 4, 64};
      std::memcpy(m.bytes.data() + 8, outside, 16);
      bound->reply(request->call_id(), m, GetReply::kLayoutBytes);
    }
    return true;
  });
  const auto r = client("kv_client", s.a.socket(), "get colour");
  ::kill(server, SIGKILL);
  int status;
  ::waitpid(server, &status, 0);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("does not fit its schema"), std::string::npos) << r.output;
  EXPECT_TRUE(s.a.alive() && s.b.alive());
}

// Layout offsets of AllTypes' slots (schema_layout.h): name (15) 112, inner (17) 144,
// numbers (18) 160, names (22) 224.
constexpr uint64_t kName = 112, kInner = 144, kNumbers = 160, kNames = 224;

class SchemaClient {
 public:
  explicit SchemaClient(const fs::path& socket)
      : client_(Client::connect(socket, fixnet::test::schema_all_types::binding())) {}
  Client& client() { return *client_; }
  // A root AllTypes struct in the send heap, written raw as a hostile application would.
  Client::Message root() {
    auto m = client_->allocate(AllTypes::kLayoutBytes);
    std::memset(m.bytes.data(), 0, m.bytes.size());
    return m;
  }
  static void ref(Client::Message& m, uint64_t slot, uint64_t offset, uint64_t length) {
    std::memcpy(m.bytes.data() + slot, &offset, 8);
    std::memcpy(m.bytes.data() + slot + 8, &length, 8);
  }
  Status call(const Client::Message& m, uint64_t length = AllTypes::kLayoutBytes) {
    return client_->wait(client_->send(1, m, length), std::chrono::milliseconds(10000)).status();
  }

 private:
  std::unique_ptr<Client> client_;
};

TEST(RpcSchemaBadInput, HostileLayoutsGetAnErrorStatusAndTheServiceRuns) {
  ServiceProcess service({"--schema-cache", schema_cache().string()});  // echo transport: marshal, echo, unmarshal
  SchemaClient c(service.socket());
  const uint64_t heap = c.client().welcome().send_heap_bytes;
  {
    auto m = c.root();  // a string outside the heap
    SchemaClient::ref(m, kName, heap - 10, 100);
    EXPECT_EQ(c.call(m), Status::kBadMessage);
  }
  {
    auto m = c.root();  // a huge repeated count
    SchemaClient::ref(m, kNumbers, 0, uint64_t{1} << 61);
    EXPECT_EQ(c.call(m), Status::kBadMessage);
  }
  {
    auto m = c.root();  // a sub-message pointing at itself as an Inner: a cycle through children
    auto inner = c.client().allocate(Inner::kLayoutBytes);
    std::memset(inner.bytes.data(), 0, inner.bytes.size());
    SchemaClient::ref(inner, 24, inner.offset, 1);
    SchemaClient::ref(m, kInner, inner.offset, Inner::kLayoutBytes);
    EXPECT_EQ(c.call(m), Status::kBadMessage);
  }
  {
    auto m = c.root();  // overlapping strings amplifying past the message limit (8 MiB)
    auto pairs = c.client().allocate(4096 * 16);
    for (uint64_t i = 0; i < 4096; ++i) SchemaClient::ref(pairs, i * 16, 0, heap / 2);
    SchemaClient::ref(m, kNames, pairs.offset, 4096);
    EXPECT_EQ(c.call(m), Status::kTooLarge);
  }
  {
    auto m = c.root();  // a length that is not AllTypes' layout
    EXPECT_EQ(c.call(m, 24), Status::kBadMessage);
  }
  EXPECT_TRUE(service.alive());
  EXPECT_NE(service.log().find("outside the heap"), std::string::npos);
  // A well-formed message round-trips through the same connection.
  const uint64_t free_before = c.client().send_heap_free_bytes();
  auto request = fixnet::rpc::stub::Message<AllTypes>(c.client());
  request->set_i32(-5);
  request->set_name("fine");
  request->resize_names(2);
  request->set_names(1, "second");
  request->mutable_inner().set_label("inner");
  const int32_t numbers[] = {1, 2, 3};
  request->set_numbers(numbers);
  auto reply = fixnet::rpc::stub::Pending<AllTypes>(c.client(), request.send(1)).get();
  ASSERT_TRUE(reply.ok()) << status_text(reply.status());
  EXPECT_EQ(reply->i32(), -5);
  EXPECT_EQ(reply->name(), "fine");
  EXPECT_EQ(reply->names(1), "second");
  EXPECT_EQ(reply->inner().label(), "inner");
  EXPECT_EQ(reply->numbers()[2], 3);
  EXPECT_EQ(c.client().send_heap_free_bytes(), free_before) << "every buffer of a message built in pieces comes back";
}

TEST(RpcSchemaBadInput, RewritingTheHeapDuringMarshallingHurtsOnlyTheWriter) {
  ServiceProcess service({"--schema-cache", schema_cache().string()});
  SchemaClient c(service.socket());
  auto target = c.client().allocate(1 << 16);
  // Offsets and lengths, a third of them wild: what the writer scribbles.
  auto scribble = [](std::mt19937_64& random) { return random() % 3 == 0 ? random() : random() % 4096; };
  auto* words = reinterpret_cast<volatile uint64_t*>(target.bytes.data());
  const size_t n_words = target.bytes.size() / 8;
  // The area starts scribbled all over, so calls are refused however the writer thread is scheduled
  // (a loaded host may not run it during the loop at all).
  std::mt19937_64 first(2);
  for (size_t i = 0; i < n_words; ++i) words[i] = scribble(first);
  std::atomic<bool> stop{false};
  // The writer goes on scribbling over the area the messages point into while they are marshalled.
  std::thread writer([&] {
    std::mt19937_64 random(1);
    while (!stop) words[random() % n_words] = scribble(random);
  });
  int ok = 0, refused = 0;
  for (int i = 0; i < 300; ++i) {
    auto m = c.root();
    SchemaClient::ref(m, kInner, target.offset + (i % 64) * 8, Inner::kLayoutBytes);
    SchemaClient::ref(m, kNames, target.offset + 1024, i % 8);
    const Status status = c.call(m);
    (status == Status::kOk ? ok : refused)++;
    EXPECT_TRUE(status == Status::kOk || status == Status::kBadMessage || status == Status::kTooLarge ||
                status == Status::kNoReceiveSpace)
        << status_text(status);
  }
  stop = true;
  writer.join();
  EXPECT_GT(refused, 0);
  EXPECT_TRUE(service.alive());
  auto clean = c.root();
  EXPECT_EQ(c.call(clean), Status::kOk);
}

TEST(RpcSchemaBadInput, HelloWithABadSchemaIsRefusedClearly) {
  ServiceProcess service({"--schema-cache", schema_cache().string()});
  const std::string garbage = "not a descriptor set";
  SchemaHash hash{};
  hash[0] = 1;
  try {
    Client::connect(service.socket(), SchemaBinding{hash, garbage});
    FAIL() << "connected with a garbage schema";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("schema bytes are not a descriptor set"), std::string::npos) << e.what();
  }
  auto binding = fixnet::test::schema_all_types::binding();
  binding.hash[5] ^= 1;  // the right schema under a wrong hash
  try {
    Client::connect(service.socket(), binding);
    FAIL() << "connected with a wrong schema hash";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("is not the hash of its schema"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(service.alive());
  EXPECT_NO_THROW(Client::connect(service.socket(), fixnet::test::schema_all_types::binding()));
}

// A temporary directory any user may enter (the service runs as nobody when the tests run as root).
struct OpenDir {
  OpenDir() {
    std::string pattern = (fs::temp_directory_path() / "fixnet-schema-cache-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path = pattern;
    fs::permissions(path, fs::perms::all);
  }
  ~OpenDir() { fs::remove_all(path); }
  fs::path path;
};

double connect_ms(const fs::path& socket) {
  const auto start = std::chrono::steady_clock::now();
  auto c = Client::connect(socket, fixnet::test::schema_all_types::binding());
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

TEST(RpcSchemaEndToEnd, RegisterCompilesAheadSoConnectSkipsTheCompile) {
  OpenDir dir;
  const fs::path registered = dir.path / "registered", fresh = dir.path / "fresh";
  const auto r = run_program(std::string(FIXNET_BINARY) + " rpc register --schema-cache " + registered.string() + " " +
                             (kSchemas / "all_types.proto").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("registered"), std::string::npos) << r.output;
  const auto again = run_program(std::string(FIXNET_BINARY) + " rpc register --schema-cache " + registered.string() +
                                 " " + (kSchemas / "all_types.proto").string());
  EXPECT_NE(again.output.find("already registered"), std::string::npos) << again.output;

  ServiceProcess cached({"--schema-cache", registered.string()});
  ServiceProcess uncached({"--schema-cache", fresh.string()});
  std::vector<double> cached_ms;
  for (int i = 0; i < 21; ++i) cached_ms.push_back(connect_ms(cached.socket()));
  std::sort(cached_ms.begin(), cached_ms.end());
  // Two applications with the same unregistered schema wait for one compile, on a thread of the
  // service's own: a raw application connects and calls meanwhile.
  double uncached_ms = 0;
  std::thread first([&] { uncached_ms = connect_ms(uncached.socket()); });
  ASSERT_TRUE(ServiceProcess::eventually([&] { return uncached.log().find("compiling its marshaller") != std::string::npos; }));
  std::thread second([&] { connect_ms(uncached.socket()); });
  auto raw = Client::connect(uncached.socket());
  EXPECT_TRUE(testing::echoes(*raw, 1, 64, 7));
  const bool raw_served_during_the_compile = uncached.log().find("generated and compiled") == std::string::npos;
  first.join();
  second.join();
  EXPECT_TRUE(raw_served_during_the_compile) << uncached.log();
  const double second_ms = connect_ms(uncached.socket());  // compiled once per machine: now cached
  EXPECT_NE(cached.log().find("marshaller found in the cache"), std::string::npos) << cached.log();
  const std::string log = uncached.log();
  EXPECT_NE(log.find("marshaller generated and compiled"), std::string::npos) << log;
  EXPECT_EQ(log.find("generated and compiled"), log.rfind("generated and compiled")) << "one compile only";
  EXPECT_EQ(log.find("compiling its marshaller"), log.rfind("compiling its marshaller")) << "one compile only";
  // The figures docs/performance.md quotes (no assertion on time: the machine may be busy).
  std::printf("connect with all_types.proto registered: median %.2f ms (min %.2f, max %.2f, 21 connects); "
              "not registered (generates and compiles): %.0f ms; the next connect: %.2f ms\n",
              cached_ms[10], cached_ms.front(), cached_ms.back(), uncached_ms, second_ms);
}

TEST(RpcSchemaBadInput, RegisterOfAMalformedProtoIsOneClearLine) {
  OpenDir dir;
  std::ofstream(dir.path / "bad.proto") << "syntax = \"proto3\";\nmessage M {\n  bytes data = ;\n}\n";
  const auto r = run_program(std::string(FIXNET_BINARY) + " rpc register --schema-cache " + (dir.path / "c").string() +
                             " " + (dir.path / "bad.proto").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("bad.proto:3:"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST(RpcSchemaBadInput, AMarshallerOthersCanWriteIsNeverLoaded) {
  OpenDir dir;  // mode 0777
  const auto schema = Schema::parse(kSchemas / "all_types.proto");
  const fs::path object = MarshallerCache(schema_cache()).ensure(*schema);
  fs::copy_file(object, dir.path / object.filename());
  try {
    Marshaller::load(dir.path / object.filename(), schema->hash());
    FAIL() << "loaded code from a world-writable directory";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("writable by another user"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(Marshaller::load(object, schema->hash()));
  EXPECT_THROW(Marshaller::load(object, SchemaHash{}), InputError);
}

// A key-value server whose handlers fail calls: key "missing" with a StatusError, "boom" with
// another exception, "wrong" with a StatusError of a service status (not the application's to use).
class FailingStore final : public fixnet::examples::kv::KeyValueService {
 public:
  void Get(const fixnet::examples::kv::GetRequest& request, fixnet::examples::kv::GetReply& reply) override {
    const std::string key(request.key());
    if (key == "missing") throw stub::StatusError(Status::kNotFound, "no key 'missing'");
    if (key == "boom") throw std::runtime_error("boom: the disk is on fire");
    if (key == "wrong") throw stub::StatusError(Status::kBadMessage, "pretending to be the service");
    reply.set_found(true);
    reply.set_value(key);
  }
  void Put(const fixnet::examples::kv::PutRequest&, fixnet::examples::kv::PutReply&) override {}
  void Scan(const fixnet::examples::kv::ScanRequest&, fixnet::examples::kv::ScanReply&) override {}
};

TEST(RpcSchemaEndToEnd, HandlersFailCallsWithAStatusAndTheServerServesOn) {
  using fixnet::examples::kv::GetRequest;
  TwoServices s;
  const pid_t server = testing::spawn([&] {
    auto bound = FailingStore::bind(s.b.socket());
    FailingStore().serve(*bound);
    return true;
  });
  auto kv = fixnet::examples::kv::KeyValueClient::connect(s.a.socket());
  auto request = [&](const std::string& key) {
    auto r = kv.make<GetRequest>();
    r->set_key(key);
    return r;
  };
  auto missing = kv.Get(request("missing"));
  EXPECT_EQ(missing.status(), Status::kNotFound);
  EXPECT_EQ(missing.message(), "no key 'missing'");
  try {
    (void)missing->value();
    ADD_FAILURE() << "a failed call's reply was readable";
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("not found: no key 'missing'"), std::string::npos) << e.what();
  }
  auto pending = kv.GetAsync(request("missing"));
  auto missing_async = pending.get();
  EXPECT_EQ(missing_async.status(), Status::kNotFound);
  EXPECT_EQ(missing_async.message(), "no key 'missing'");

  auto boom = kv.Get(request("boom"));
  EXPECT_EQ(boom.status(), Status::kInternal);
  EXPECT_EQ(boom.message(), "boom: the disk is on fire");
  auto wrong = kv.Get(request("wrong"));
  EXPECT_EQ(wrong.status(), Status::kInternal);
  EXPECT_NE(wrong.message().find("not an application status"), std::string::npos) << wrong.message();

  // The server went on serving after each failure.
  for (int i = 0; i < 3; ++i) {
    auto present = kv.Get(request("present"));
    ASSERT_TRUE(present.ok()) << status_text(present.status());
    EXPECT_TRUE(present->found());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(present->value().data()), present->value().size()), "present");
  }
  ::kill(server, SIGKILL);
  int status;
  ::waitpid(server, &status, 0);
  EXPECT_TRUE(s.a.alive() && s.b.alive());
}

// Server::fail takes application statuses only: a serving application cannot forge the service's.
TEST(RpcSchemaBadInput, AServerCannotFailACallWithAServiceStatus) {
  TwoServices s;
  auto bound = Server::bind(s.b.socket());
  try {
    bound->fail(1, Status::kPeerRefused, "forged");
    ADD_FAILURE() << "fail() took a service status";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("64…127"), std::string::npos) << e.what();
  }
}

// Applications with unregistered schemas (each a compile) cannot exhaust the service: the service
// for these tests compiles through a gate — a compiler that waits for a file — so what waits, what
// compiles and what is refused is decided by the test, not by how fast the machine compiles.
class GatedCompiles {
 public:
  // `flags`: fixnetd's compile limits. all_types.proto is registered in the service's cache.
  explicit GatedCompiles(std::vector<std::string> flags) {
    const fs::path cache = dir_.path / "cache";
    MarshallerCache(cache).ensure(*Schema::parse(kSchemas / "all_types.proto"));
    if (::getuid() == 0) {  // the service runs as nobody and must write its compiles there
      const passwd* nobody = ::getpwnam("nobody");
      if (nobody == nullptr || ::chown(cache.c_str(), nobody->pw_uid, nobody->pw_gid) != 0)
        throw std::runtime_error("cannot give the test cache to nobody");
    }
    const char* cxx = std::getenv("CXX");
    const fs::path compiler = dir_.path / "gated-c++";
    std::ofstream(compiler) << "#!/bin/sh\nwhile [ ! -e " << gate().string() << " ]; do sleep 0.05; done\nexec "
                            << (cxx != nullptr && *cxx != 0 ? cxx : "c++") << " \"$@\"\n";
    fs::permissions(compiler, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
    const std::string saved = cxx != nullptr ? cxx : "";
    ::setenv("CXX", compiler.c_str(), 1);  // fixnetd inherits it
    flags.insert(flags.begin(), {"--schema-cache", cache.string()});
    service_ = std::make_unique<ServiceProcess>(flags);
    if (cxx != nullptr) ::setenv("CXX", saved.c_str(), 1); else ::unsetenv("CXX");
  }
  ~GatedCompiles() {
    open();
    for (auto& t : waiting_) t.join();
  }
  ServiceProcess& service() { return *service_; }
  void open() { std::ofstream(gate()) << "open\n"; }
  // A schema nobody registered, distinct by `n`.
  SchemaBinding fresh(int n) {
    const fs::path file = dir_.path / ("fresh_" + std::to_string(n) + ".proto");
    std::ofstream(file) << "syntax = \"proto3\";\npackage fixnet.test.fresh" << n
                        << ";\nmessage Note { string text = 1; }\nservice Notes { rpc Send(Note) returns (Note); }\n";
    schemas_.push_back(Schema::parse(file));
    return {schemas_.back()->hash(), schemas_.back()->canonical()};
  }
  // Connects with `schema` on a thread (the connect waits for the compile); counts the successes.
  void connect_in_background(SchemaBinding schema) {
    waiting_.emplace_back([this, schema] {
      try {
        Client::connect(service_->socket(), schema);
        ++connected;
      } catch (const Error& e) {
        std::fprintf(stderr, "background connect: %s\n", e.what());
      }
    });
  }
  // How often the service's log says `what`.
  size_t logged(const std::string& what) const {
    const std::string log = service_->log();
    size_t n = 0;
    for (size_t at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
    return n;
  }
  std::atomic<int> connected{0};

 private:
  fs::path gate() const { return dir_.path / "gate"; }
  OpenDir dir_;
  std::vector<std::unique_ptr<Schema>> schemas_;
  std::unique_ptr<ServiceProcess> service_;
  std::vector<std::thread> waiting_;
};

// The refusal of a connect: its message (empty if it was admitted).
std::string refusal(const fs::path& socket, const SchemaBinding& schema) {
  try {
    Client::connect(socket, schema);
    return "";
  } catch (const InputError& e) {
    return e.what();
  }
}

TEST(RpcSchemaBadInput, UncachedSchemasBeyondAUidsLimitPerMinuteAreRefusedWithTheFix) {
  GatedCompiles g({"--uncached-schemas-per-minute", "2"});
  for (int i = 0; i < 2; ++i) g.connect_in_background(g.fresh(i));
  ASSERT_TRUE(ServiceProcess::eventually([&] { return g.logged("compiling its marshaller") == 1 &&
                                                      g.logged("compile(s) ahead of it") == 1; }))
      << g.service().log();
  for (int i = 2; i < 8; ++i) {
    const std::string why = refusal(g.service().socket(), g.fresh(i));
    EXPECT_NE(why.find("uncached schemas within a minute"), std::string::npos) << why;
    EXPECT_NE(why.find("run `fixnet rpc register FILE.proto`"), std::string::npos) << why;
  }
  // A schema admitted already (the same uid, within the minute) joins its compile: not refused.
  g.connect_in_background(g.fresh(0));
  // While the admitted compiles are held: a registered schema connects and calls, so does a raw
  // application — the service is responsive.
  SchemaClient registered(g.service().socket());
  EXPECT_EQ(registered.call(registered.root()), Status::kOk);
  auto raw = Client::connect(g.service().socket());
  EXPECT_TRUE(testing::echoes(*raw, 1, 64, 3));
  EXPECT_EQ(g.connected.load(), 0);
  g.open();
  ASSERT_TRUE(ServiceProcess::eventually([&] { return g.connected.load() == 3; }, std::chrono::seconds(120)))
      << g.service().log();
  EXPECT_EQ(g.logged("generated and compiled"), 2u) << g.service().log();
  EXPECT_TRUE(g.service().alive());
}

TEST(RpcSchemaBadInput, UncachedSchemasCompileOneAtATimeBehindABoundedQueue) {
  GatedCompiles g({"--compile-queue", "2"});
  for (int i = 0; i < 3; ++i) g.connect_in_background(g.fresh(i));  // one compiling, two waiting
  ASSERT_TRUE(ServiceProcess::eventually([&] { return g.logged("compile(s) ahead of it") == 2; })) << g.service().log();
  EXPECT_EQ(g.logged("compiling its marshaller"), 1u) << "one compile at a time\n" << g.service().log();
  const std::string why = refusal(g.service().socket(), g.fresh(3));
  EXPECT_NE(why.find("2 uncached schemas already wait for the marshaller compiler"), std::string::npos) << why;
  EXPECT_NE(why.find("fixnet rpc register FILE.proto"), std::string::npos) << why;
  SchemaClient registered(g.service().socket());  // a registered schema does not wait in that queue
  EXPECT_EQ(registered.call(registered.root()), Status::kOk);
  g.open();
  ASSERT_TRUE(ServiceProcess::eventually([&] { return g.connected.load() == 3; }, std::chrono::seconds(120)))
      << g.service().log();
  EXPECT_EQ(g.logged("generated and compiled"), 3u) << g.service().log();
}

}  // namespace
}  // namespace fixnet::rpc
