// Routing by service (docs/rpc.md, "Routing by service"), in real processes: the example
// applications (echo.proto's fixnet.examples.echo.Echo and kv.proto's fixnet.examples.kv.KeyValue,
// their generated stubs naming the service) served by applications on ONE fixnetd B and called
// through ONE fixnetd A that routes each service (--route, or [[rpc.route]] in --config), or sends
// them all to its one --peer as before routing. A call to a service A has no route for is refused
// at connect with the fix; a service B serves no application for is answered with status 7 and the
// reason; a service the application's schema lacks, or a bad name, is refused at connect.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>

#include "core/error.h"
#include "all_types.fixnet.h"
#include "kv.fixnet.h"
#include "raw_peer.h"
#include "rpc/client.h"
#include "rpc/server.h"
#include "rpc_test_util.h"

namespace fixnet::rpc {
namespace {

namespace fs = std::filesystem;
using testing::ProgramResult;
using testing::RawPeer;
using testing::run_program;
using testing::schema_cache;
using testing::ServiceProcess;
using testing::spawn;
using testing::tcp_port;

const std::string kApps = EXAMPLES_RPC_DIR;
const std::string kEchoService = "fixnet.examples.echo.Echo";
const std::string kKvService = "fixnet.examples.kv.KeyValue";

// A serving example application, run until the test ends; waits until `service` logged its attach.
class App {
 public:
  App(const std::string& name, const ServiceProcess& service) {
    const size_t attached_before = count(service.log(), "(serving)");
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string binary = kApps + "/" + name, socket = service.socket().string();
      ::execl(binary.c_str(), binary.c_str(), socket.c_str(), nullptr);
      ::_exit(127);
    }
    EXPECT_TRUE(ServiceProcess::eventually([&] { return count(service.log(), "(serving)") > attached_before; }))
        << service.log();
  }
  ~App() {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
  static size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }

 private:
  pid_t pid_;
};

std::vector<std::string> with_cache(std::vector<std::string> args) {
  args.insert(args.end(), {"--schema-cache", schema_cache().string()});
  return args;
}

ProgramResult client(const std::string& app, const ServiceProcess& via, const std::string& args) {
  return run_program(kApps + "/" + app + " " + via.socket().string() + " " + args);
}

std::string address(const ServiceProcess& listening) { return "127.0.0.1:" + std::to_string(tcp_port(listening)); }

// B serves both services; every call through A must reach the application serving its service (the
// other one would refuse it: another schema), whatever the order of calls.
void both_services_answer(const ServiceProcess& a) {
  for (int round = 0; round < 3; ++round) {
    const auto echo = client("echo_client", a, "'round " + std::to_string(round) + "' 5");
    EXPECT_EQ(echo.exit_code, 0) << echo.output;
    EXPECT_EQ(echo.output, "round " + std::to_string(round) + "\n");
    const auto put = client("kv_client", a, "put key" + std::to_string(round) + " value" + std::to_string(round));
    EXPECT_EQ(put.exit_code, 0) << put.output;
    EXPECT_EQ(put.output, "stored\n");
  }
  EXPECT_EQ(client("kv_client", a, "get key1").output, "value1\n");
}

TEST(RpcRouting, TwoServicesOnOneDaemonReachedByRoutes) {
  ServiceProcess b(with_cache({"--listen", "127.0.0.1:0"}));
  ServiceProcess a(with_cache({"--route", kEchoService + "=" + address(b), "--route", kKvService + "=" + address(b)}));
  App echo("echo_server", b), kv("kv_server", b);
  both_services_answer(a);
  EXPECT_NE(a.log().find("calls routed by service: " + kEchoService + "="), std::string::npos) << a.log();
  EXPECT_TRUE(a.alive() && b.alive());
}

// Routes to two daemons, and --peer as the default for the rest: Echo goes to B, KeyValue (no route)
// to C. Each daemon serves only one service, so a misrouted call would be refused.
TEST(RpcRouting, RouteAndDefaultPeerTogether) {
  ServiceProcess b(with_cache({"--listen", "127.0.0.1:0"}));
  ServiceProcess c(with_cache({"--listen", "127.0.0.1:0"}));
  ServiceProcess a(with_cache({"--route", kEchoService + "=" + address(b), "--peer", address(c)}));
  App echo("echo_server", b), kv("kv_server", c);
  both_services_answer(a);
}

// The same from the TOML file: [[rpc.route]] entries.
TEST(RpcRouting, RoutesFromTheConfigFile) {
  ServiceProcess b(with_cache({"--listen", "127.0.0.1:0"}));
  const fs::path file = fs::temp_directory_path() / ("fixnet-routes-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(file) << "[[rpc.route]]\nservice = \"" << kEchoService << "\"\npeer = \"" << address(b)
                      << "\"\n\n[[rpc.route]]\nservice = \"" << kKvService << "\"\npeer = \"" << address(b) << "\"\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read | fs::perms::group_read);
  ServiceProcess a(with_cache({"--config", file.string()}));
  App echo("echo_server", b), kv("kv_server", b);
  both_services_answer(a);
  fs::remove(file);
}

// Before routing: a fixnetd with one --peer sends every service there; B picks by the service name.
TEST(RpcRouting, OldSinglePeerUsageStillWorks) {
  ServiceProcess b(with_cache({"--listen", "127.0.0.1:0"}));
  ServiceProcess a(with_cache({"--peer", address(b)}));
  App echo("echo_server", b), kv("kv_server", b);
  both_services_answer(a);
  // A peer that names no service (a fixnetd from before routing; here by hand) reaches an application
  // with its schema: kv_server, not echo_server.
  RawPeer peer(tcp_port(b));
  peer.hello(fixnet::examples::kv::schema_kv::kHash);
  auto hello = peer.receive();
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->first.kind, FrameKind::kHello);
  EXPECT_EQ(hello->first.schema_hash, fixnet::examples::kv::schema_kv::kHash);
}

TEST(RpcRouting, UnroutedServiceIsRefusedAtConnectNamingTheFix) {
  ServiceProcess b(with_cache({"--listen", "127.0.0.1:0"}));
  ServiceProcess a(with_cache({"--route", kEchoService + "=" + address(b)}));
  App kv("kv_server", b);
  const auto r = client("kv_client", a, "put k v");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no route for service " + kKvService), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--route " + kKvService + "=HOST:PORT"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "one line: " << r.output;
  // A raw application naming no service cannot be routed either (no --peer).
  try {
    Client::connect(a.socket());
    ADD_FAILURE() << "an unnamed application connected to a fixnetd with routes only";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--peer HOST:PORT"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(a.alive());
}

// B listens but serves no KeyValue application: the caller's call fails with status 7 and A's log
// names the service.
TEST(RpcRouting, NoServerForTheServiceAnswersStatus7) {
  ServiceProcess b(with_cache({"--listen", "127.0.0.1:0"}));
  ServiceProcess a(with_cache({"--route", kKvService + "=" + address(b), "--route", kEchoService + "=" + address(b)}));
  App echo("echo_server", b);
  const auto r = client("kv_client", a, "put k v");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(std::string(status_text(Status::kPeerRefused))), std::string::npos) << r.output;
  EXPECT_TRUE(ServiceProcess::eventually(
      [&] { return a.log().find("no application serves " + kKvService) != std::string::npos; }))
      << a.log();
  EXPECT_NE(b.log().find("no application serves " + kKvService), std::string::npos) << b.log();
  // The status, seen by a stub.
  auto kv = fixnet::examples::kv::KeyValueClient::connect(a.socket());
  auto put = kv.make<fixnet::examples::kv::PutRequest>();
  put->set_key("k");
  EXPECT_EQ(kv.Put(std::move(put)).status(), Status::kPeerRefused);
  // The served service still answers, on the same daemons.
  EXPECT_EQ(client("echo_client", a, "still").output, "still\n");
  EXPECT_TRUE(a.alive() && b.alive());
}

// Round-robin: two applications serve KeyValue on B (each its own store); callers' connections
// alternate between them, so two callers' puts land in different stores.
TEST(RpcRouting, SeveralServersOfOneServiceShareItsCallers) {
  ServiceProcess b(with_cache({"--listen", "127.0.0.1:0"}));
  ServiceProcess a(with_cache({"--route", kKvService + "=" + address(b)}));
  App first("kv_server", b), second("kv_server", b);
  EXPECT_EQ(client("kv_client", a, "put k one").output, "stored\n");
  EXPECT_EQ(client("kv_client", a, "put k two").output, "stored\n") << "the second caller reached the other store";
  EXPECT_EQ(client("kv_client", a, "put k three").output, "replaced\n") << "the third reached the first again";
}

TEST(RpcRouting, AServiceTheSchemaLacksOrABadNameIsRefused) {
  ServiceProcess b(with_cache({"--listen", "127.0.0.1:0"}));
  for (const std::string& name : {std::string("fixnet.examples.kv.Nope"), kEchoService}) {
    try {
      Server::bind(b.socket(), fixnet::examples::kv::schema_kv::binding(name));
      ADD_FAILURE() << name << " bound";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("names service " + name + ", which its schema"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("defines " + kKvService), std::string::npos) << e.what();
    }
  }
  try {
    Client::connect(b.socket(), SchemaBinding{{}, {}, "no spaces allowed"});
    ADD_FAILURE() << "a bad service name connected";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a proto full name"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(b.alive());
}

TEST(RpcRouting, BadRoutesAreRefusedAtStart) {
  const std::string fixnetd = std::string(FIXNETD_BINARY) + " --socket /tmp/fixnet-routing-never.sock";
  struct Case {
    std::string args, says;
  } cases[] = {
      {"--route hotel.Geo", "route 'hotel.Geo' is not SERVICE=HOST:PORT"},
      {"--route 'hotel Geo=127.0.0.1:1'", "not a proto full name"},
      {"--route hotel.Geo=nowhere", "nowhere"},
      {"--route hotel.Geo=127.0.0.1:1 --route hotel.Geo=127.0.0.1:2", "hotel.Geo is routed twice"},
  };
  for (const Case& c : cases) {
    const auto r = run_program(fixnetd + " " + c.args);
    EXPECT_NE(r.exit_code, 0) << c.args;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << c.args << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "one line: " << r.output;
  }
}

#ifdef GRPC_CLIENT_PY
// gRPC clients (python3-grpcio) through --grpc-listen: all_types.proto has two services, so two
// applications of ONE schema serve on one fixnetd, one each; a call of /fixnet.test.Second/Ping must
// reach Second's (Types' skeleton would answer another service's method with an empty reply).
class SecondServer final : public fixnet::test::SecondService {
  void Ping(const fixnet::test::common::Stamp& in, fixnet::test::common::Stamp& out) override {
    out.set_seconds(in.seconds() + 7);
  }
};
class TypesServer final : public fixnet::test::TypesService {
  void Roundtrip(const fixnet::test::AllTypes&, fixnet::test::AllTypes&) override {}
  void Describe(const fixnet::test::Inner&, fixnet::test::common::Stamp&) override {}
};

TEST(RpcRouting, GrpcCallsReachTheApplicationServingTheirService) {
  ServiceProcess b(with_cache({"--grpc-listen", "127.0.0.1:0"}));
  const pid_t types = spawn([&] {
    auto server = fixnet::test::TypesService::bind(b.socket());
    TypesServer().serve(*server);
    return true;
  });
  const pid_t second = spawn([&] {
    auto server = fixnet::test::SecondService::bind(b.socket());
    SecondServer().serve(*server);
    return true;
  });
  std::string log;
  EXPECT_TRUE(ServiceProcess::eventually([&] {
    log = b.log();
    return App::count(log, "(serving)") == 2 && log.find("(grpc port ") != std::string::npos;
  })) << log;
  const std::string address = "127.0.0.1:" + std::to_string(std::stoi(log.substr(log.find("(grpc port ") + 11)));
  for (int i = 0; i < 4; ++i) {  // round-robin over both would send half of these to Types'
    const auto r = run_program(std::string(DEBIAN_PYTHON3) + " " + GRPC_CLIENT_PY + " " + address +
                               " /fixnet.test.Second/Ping 0805");  // Stamp{seconds: 5}
    EXPECT_EQ(r.output, "ok 080c\n") << "call " << i << ": " << r.output;  // Stamp{seconds: 12}
  }
  for (pid_t pid : {types, second}) {
    ::kill(pid, SIGKILL);
    int status;
    ::waitpid(pid, &status, 0);
  }
}
#endif

}  // namespace
}  // namespace fixnet::rpc
