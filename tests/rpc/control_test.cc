// Operator control end to end: a real fixnetd, real client processes or threads, and the real
// `fixnet rpc ctl` command. Live chain edits under load lose and fail no call; bad input (configs,
// plugins, an upgrade whose restore fails) is refused with the old state kept.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>

#include <algorithm>

#include <fstream>

#include "net/unix_control.h"
#include "operator_test_util.h"

namespace fixnet::rpc {
namespace {

using testing::chain;
using testing::ctl;
using testing::engines;
using testing::LoadClient;
using testing::request;
using testing::ServiceProcess;
namespace fs = std::filesystem;

constexpr uint32_t kEcho = 1;

TEST(RpcControl, ListShowsApplicationsEnginesAndCounters) {
  ServiceProcess service;
  auto client = Client::connect(service.socket());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(testing::echoes(*client, kEcho, 100, i));
  const auto r = ctl(service, "list --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto reply = nlohmann::json::parse(r.output);
  ASSERT_EQ(reply["applications"].size(), 1u);
  const auto& app = reply["applications"][0];
  EXPECT_EQ(app["pid"].get<pid_t>(), ::getpid());
  EXPECT_TRUE(app["schema"].is_null());
  ASSERT_EQ(app["engines"].size(), 2u);
  EXPECT_EQ(app["engines"][0]["name"], "frontend");
  EXPECT_EQ(app["engines"][0]["counters"]["requests"], 10);
  EXPECT_EQ(app["engines"][1]["name"], "echo");
  EXPECT_EQ(app["engines"][1]["counters"]["echoed"], 10);
  const auto human = ctl(service, "list");
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_NE(human.output.find("echo"), std::string::npos) << human.output;
  EXPECT_NE(human.output.find("echoed=10"), std::string::npos) << human.output;
}

TEST(RpcControl, AttachDetachConfigureUpgradeUnderLoadLoseNoCall) {
  ServiceProcess service;
  LoadClient a(service.socket()), b(service.socket());
  ASSERT_TRUE(ServiceProcess::eventually([&] { return a.good() > 200 && b.good() > 200; }));
  auto step = [&](const std::string& args) {
    const auto r = ctl(service, args);
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.output;
    // Calls go on between edits.
    const uint64_t before = a.good() + b.good();
    EXPECT_TRUE(ServiceProcess::eventually([&] { return a.good() + b.good() > before + 100; })) << "after " << args;
  };
  step("attach null --all");
  step("attach ratelimit --config 'rate=20000 burst=500' --all");
  EXPECT_EQ(chain(service), (std::vector<std::string>{"frontend", "null", "ratelimit", "echo"}));
  step("config ratelimit 'rate=inf' --all");
  step("upgrade ratelimit --plugin " RATELIMIT_PLUGIN " --all");
  step("upgrade null --plugin " NULL_PLUGIN " --all");
  auto list = engines(service);
  EXPECT_EQ(list[1]["origin"], NULL_PLUGIN);
  EXPECT_EQ(list[2]["origin"], RATELIMIT_PLUGIN);
  EXPECT_EQ(list[2]["config"], "rate=inf");
  EXPECT_GT(list[2]["counters"]["passed"].get<uint64_t>(), 0u) << "the counters survive the upgrade";
  step("upgrade echo --plugin " ECHO_PLUGIN " --all");  // the transport too
  step("detach ratelimit --all");
  step("detach null --all");
  EXPECT_EQ(chain(service), (std::vector<std::string>{"frontend", "echo"}));
  a.stop();
  b.stop();
  EXPECT_EQ(a.bad() + b.bad(), 0u) << a.first_error() << b.first_error();
  EXPECT_EQ(a.good(), a.sent()) << "every call answered";
  EXPECT_EQ(b.good(), b.sent());
}

TEST(RpcControl, DetachingAQueueingRateLimitPassesItsHeldCallsOn) {
  ServiceProcess service;
  auto client = Client::connect(service.socket());
  ASSERT_EQ(ctl(service, "attach ratelimit --config 'rate=0 burst=1' --app 1").exit_code, 0);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 20; ++i) {
    auto m = client->allocate(8);
    std::memset(m.bytes.data(), i, 8);
    ids.push_back(client->send(kEcho, m, 8));
  }
  // One passes on the bucket's single token; the rest wait in the engine (rate 0).
  ASSERT_TRUE(ServiceProcess::eventually([&] { return engines(service)[1]["counters"]["queued"] == 19; }));
  ASSERT_EQ(ctl(service, "detach ratelimit --app 1").exit_code, 0);
  for (uint64_t id : ids) EXPECT_TRUE(client->wait(id, std::chrono::milliseconds(10000)).ok());
}

TEST(RpcControl, MalformedPolicyConfigIsRefusedAndTheOldOneStays) {
  ServiceProcess service;
  auto client = Client::connect(service.socket());
  ASSERT_EQ(ctl(service, "attach ratelimit --config 'rate=5 burst=2' --all").exit_code, 0);
  for (const char* bad : {"'rate=abc'", "'rate=5 speed=3'", "'mode=drop'", "'burst=0'", "'rate=-1'"}) {
    const auto r = ctl(service, std::string("config ratelimit ") + bad + " --app 1");
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_NE(r.output.find("ratelimit config"), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "one line: " << r.output;
  }
  EXPECT_EQ(engines(service)[1]["config"], "rate=5 burst=2");
  // A bad config at attach attaches nothing.
  EXPECT_EQ(ctl(service, "attach ratelimit --config 'rate=fast' --all").exit_code, 1);
  EXPECT_EQ(chain(service), (std::vector<std::string>{"frontend", "ratelimit", "echo"}));
  EXPECT_EQ(ctl(service, "attach null --config 'x=1' --all").exit_code, 1);
  EXPECT_TRUE(testing::echoes(*client, kEcho, 64, 1));
  // Naming what does not exist.
  auto r = ctl(service, "detach acl --app 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("has no policy named 'acl'"), std::string::npos) << r.output;
  r = ctl(service, "detach ratelimit --app 99");
  EXPECT_NE(r.output.find("no application 99"), std::string::npos) << r.output;
  r = ctl(service, "attach firewall --all");
  EXPECT_NE(r.output.find("no built-in engine named 'firewall'"), std::string::npos) << r.output;
  r = ctl(service, "detach echo --app 1");
  EXPECT_EQ(r.exit_code, 1) << "the transport is not a policy";
  r = ctl(service, "attach tcp-client --all");
  EXPECT_NE(r.output.find("transport engine, not a policy"), std::string::npos) << r.output;
  EXPECT_EQ(chain(service), (std::vector<std::string>{"frontend", "ratelimit", "echo"}));
}

TEST(RpcControl, PluginsWithAWrongAbiOrNoEntryPointAreRefusedAndNothingChanges) {
  ServiceProcess service;
  auto client = Client::connect(service.socket());
  ASSERT_EQ(ctl(service, "attach null --all").exit_code, 0);
  for (const char* plugin : {WRONG_ABI_PLUGIN, NO_ENTRY_PLUGIN}) {
    for (const std::string& args : {std::string("upgrade null --plugin ") + plugin + " --all",
                                    std::string("upgrade echo --plugin ") + plugin + " --all",
                                    std::string("attach ") + plugin + " --all"}) {
      const auto r = ctl(service, args);
      EXPECT_EQ(r.exit_code, 1) << args;
      EXPECT_NE(r.output.find(plugin), std::string::npos) << "names the file: " << r.output;
    }
  }
  EXPECT_NE(ctl(service, "upgrade null --plugin " WRONG_ABI_PLUGIN " --all").output.find("ABI version"),
            std::string::npos);
  EXPECT_NE(ctl(service, "upgrade null --plugin " NO_ENTRY_PLUGIN " --all").output.find("no entry point"),
            std::string::npos);
  const auto list = engines(service);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[1]["origin"], "built in");
  EXPECT_EQ(list[2]["origin"], "built in");
  EXPECT_TRUE(testing::echoes(*client, kEcho, 64, 1));
}

TEST(RpcControl, AnUpgradeWhoseRestoreFailsIsRolledBackAndTrafficContinues) {
  ServiceProcess service;
  LoadClient load(service.socket());
  ASSERT_EQ(ctl(service, "attach ratelimit --config rate=inf --all").exit_code, 0);
  ASSERT_TRUE(ServiceProcess::eventually([&] { return load.good() > 100; }));
  const auto r = ctl(service, "upgrade ratelimit --plugin " BAD_RESTORE_PLUGIN " --all");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("cannot read state"), std::string::npos) << r.output;
  const uint64_t before = load.good();
  EXPECT_TRUE(ServiceProcess::eventually([&] { return load.good() > before + 100; }));
  load.stop();
  EXPECT_EQ(load.bad(), 0u) << load.first_error();
  EXPECT_EQ(load.good(), load.sent());
  const auto list = engines(service);
  EXPECT_EQ(list[1]["name"], "ratelimit");
  EXPECT_EQ(list[1]["origin"], "built in");
  EXPECT_GT(list[1]["counters"]["passed"].get<uint64_t>(), 100u) << "its counters kept counting";
}

TEST(RpcControl, TheOperatorSocketIsTheServiceOwnersOnly) {
  ServiceProcess service;
  struct stat st {};
  ASSERT_EQ(::stat((service.socket().string() + ".ctl").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  if (::getuid() != 0) GTEST_SKIP() << "another uid needs root to try";
  // As nobody (the service's own uid here, since root tests run it as nobody) it works; as another
  // user it is refused — with the socket opened for them, only SO_PEERCRED stands in the way.
  ::chmod((service.socket().string() + ".ctl").c_str(), 0666);
  const pid_t pid = testing::spawn([&] {
    if (::setgid(65533) != 0 || ::setuid(65533) != 0) return false;  // nogroup / an unused uid
    const auto reply = request(service, {{"op", "list"}});
    return reply["ok"] == false && reply["error"].get<std::string>().find("may not control") != std::string::npos;
  });
  EXPECT_TRUE(testing::exited_ok(pid));
}

TEST(RpcControl, PoliciesFromTheConfigFileAttachToEveryApplication) {
  const auto dir = fs::temp_directory_path() / ("fixnet-ctl-config-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::all);
  const auto file = dir / "fixnetd.toml";
  std::ofstream(file) << "# policies for every application\n[[rpc.policy]]\nengine = \"null\"\n\n"
                         "[[rpc.policy]]\nengine = \"ratelimit\"\nconfig = \"rate=1000 burst=100\"\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  {
    ServiceProcess service({"--config", file.string()});
    auto client = Client::connect(service.socket());
    EXPECT_TRUE(testing::echoes(*client, kEcho, 64, 1));
    EXPECT_EQ(chain(service), (std::vector<std::string>{"frontend", "null", "ratelimit", "echo"}));
    EXPECT_EQ(engines(service)[2]["config"], "rate=1000 burst=100");
  }
  std::ofstream(file) << "[[rpc.policy]]\nengine = \"null\"\nconfg = \"x\"\n";
  auto r = testing::run_program(std::string(FIXNETD_BINARY) + " --socket " + (dir / "s").string() + " --config " +
                                file.string() + (::getuid() == 0 ? " --user nobody" : ""));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("unknown key 'confg'"), std::string::npos) << r.output;
  std::ofstream(file) << "[[rpc.policy]\nengine = \"null\"\n";
  r = testing::run_program(std::string(FIXNETD_BINARY) + " --socket " + (dir / "s").string() + " --config " +
                           file.string() + (::getuid() == 0 ? " --user nobody" : ""));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("fixnetd.toml:1:"), std::string::npos) << r.output;
  fs::remove_all(dir);
}

// Found by fuzz/rpc_policy_file_fuzz: `policy = []` was refused as "not an array of tables".
TEST(RpcControl, AnEmptyPolicyListInTheConfigFileIsNoPolicies) {
  const auto dir = fs::temp_directory_path() / ("fixnet-ctl-empty-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::all);
  const auto file = dir / "fixnetd.toml";
  std::ofstream(file) << "[rpc]\npolicy = []\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  {
    ServiceProcess service({"--config", file.string()});
    auto client = Client::connect(service.socket());
    EXPECT_TRUE(testing::echoes(*client, kEcho, 64, 1));
    EXPECT_EQ(chain(service), (std::vector<std::string>{"frontend", "echo"}));
  }
  fs::remove_all(dir);
}

// Found by fuzz/rpc_operator_fuzz: an error quoting the request cut inside a UTF-8 character could not
// be dumped as JSON, and the exception ended fixnetd.
TEST(RpcControl, ARequestWhoseQuoteIsCutInsideAUtf8CharacterGetsAnError) {
  ServiceProcess service;
  std::string op = "x";
  for (int i = 0; i < 50; ++i) op += "\u00e9";
  const auto reply = request(service, {{"op", op}});
  EXPECT_EQ(reply["ok"], false);
  EXPECT_NE(reply["error"].get<std::string>().find("unknown operation 'x"), std::string::npos) << reply;
  EXPECT_TRUE(service.alive());
  EXPECT_EQ(request(service, {{"op", "list"}})["ok"], true);
}

}  // namespace
}  // namespace fixnet::rpc

namespace fixnet::rpc {
namespace {

// A stand-in for fixnetd's operator socket that answers every request with `reply`.
class GarbageServer {
 public:
  explicit GarbageServer(std::string reply)
      : dir_(testing::temp_dir()), listener_(net::UnixListener::bind(dir_ / "fake.ctl")), reply_(std::move(reply)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{listener_.fd(), POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        auto control = listener_.accept();
        if (!control) continue;
        try {
          if (control->receive(1 << 16, 0))
            control->send(std::span(reinterpret_cast<const uint8_t*>(reply_.data()), reply_.size()));
        } catch (const std::exception&) {
        }
      }
    });
  }
  ~GarbageServer() {
    stop_ = true;
    thread_.join();
    fs::remove_all(dir_);
  }
  fs::path path() const { return listener_.path(); }

 private:
  fs::path dir_;
  net::UnixListener listener_;
  std::string reply_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(RpcControl, AMalformedOrTruncatedReplyIsAOneLineErrorNamingTheSocket) {
  const std::string good_list =
      R"({"ok":true,"service":{"pid":7,"uid":1000,"runtimes":1,"policies_at_connect":[]},"applications":[)"
      R"({"app":1,"pid":9,"uid":1000,"serving":false,"service":"","schema":null,"schema_file":null,)"
      R"("engines":[{"name":"frontend","origin":"built in","config":"","counters":{"calls":3}}]}]})";
  {
    GarbageServer fake(good_list);  // the control: a well-formed reply is printed
    const auto r = testing::run_program(std::string(FIXNET_BINARY) + " rpc ctl --ctl-socket " + fake.path().string() + " list");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("calls=3"), std::string::npos) << r.output;
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"garbage \x01\x02", "not JSON"},
      {good_list.substr(0, good_list.size() / 2), "not JSON"},  // truncated
      {"[1,2]", "the reply is not a JSON object"},
      {R"({"ok":"yes"})", "ok is not true or false"},
      {R"({"ok":false})", "error is missing"},
      {R"({"ok":true,"applications":[]})", "service is missing"},
      {std::string(good_list).replace(good_list.find(R"("pid":7)"), 7, R"("pid":"7")"), "service.pid is not an integer"},
      {std::string(good_list).replace(good_list.find(R"("calls":3)"), 9, R"("calls":-3)"),
       "applications[0].engines[0].counters.calls is not an unsigned integer"},
      {std::string(good_list).replace(good_list.find(R"("schema":null)"), 13, R"("schema":"abcd")"),
       "applications[0].schema_file is not a string"},
      {std::string(good_list).replace(good_list.find(R"("engines":[)"), 11, R"("engines":[7,)"),
       "applications[0].engines[0] is not a JSON object"},
  };
  for (const auto& [reply, says] : cases) {
    GarbageServer fake(reply);
    for (const std::string op : {"list", "attach null --all"}) {
      const auto r = testing::run_program(std::string(FIXNET_BINARY) + " rpc ctl --ctl-socket " + fake.path().string() +
                                          " " + op);
      EXPECT_NE(r.exit_code, 0) << reply << ": " << r.output;
      EXPECT_NE(r.output.find(fake.path().string()), std::string::npos) << reply << ": " << r.output;
      EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << reply << ": " << r.output;
      // For an edit, the list's fields are not asked for: its error is about `results`.
      if (op == "list" || (says.find("applications") == std::string::npos && says.find("service") == std::string::npos)) {
        EXPECT_NE(r.output.find(says), std::string::npos) << reply << ": " << r.output;
      }
    }
  }
  // An edit's reply is checked as an edit's: results with an app id each.
  GarbageServer fake(R"({"ok":true,"results":[{"app":"one","ok":true}]})");
  const auto r = testing::run_program(std::string(FIXNET_BINARY) + " rpc ctl --ctl-socket " + fake.path().string() +
                                      " attach null --all");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("results[0].app is not an unsigned integer"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace fixnet::rpc
