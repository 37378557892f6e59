// The acl, qos and metrics policies upgraded live to their plugin builds (fixnet_rpc_acl.so, …) with
// the real `fixnet rpc ctl`, under load from client threads: no call fails, and each policy's state
// goes on in its successor — acl's rules still deny and its counters continue, qos's counters
// continue, metrics' per-method counts and histogram continue rather than start again. And a plugin
// logs as fixnetd does, at its --log-level.
#include <gtest/gtest.h>

#include <regex>

#include "echo.fixnet.h"
#include "operator_test_util.h"

namespace fixnet::rpc {
namespace {

using fixnet::examples::echo::EchoClient;
using fixnet::examples::echo::EchoRequest;
using testing::ctl_ok;
using testing::engines;
using testing::LoadClient;
using testing::schema_cache;
using testing::ServiceProcess;
namespace fs = std::filesystem;

uint64_t counter(const ServiceProcess& service, size_t engine, const char* name, size_t app_index = 0) {
  return engines(service, app_index)[engine]["counters"][name].get<uint64_t>();
}

// Echo stub calls whose data the ACL below allows.
class AllowedEchoCaller {
 public:
  explicit AllowedEchoCaller(const fs::path& socket) : echo_(EchoClient::connect(socket)) {}
  using Call = stub::Pending<fixnet::examples::echo::EchoReply>;
  Call send() {
    auto request = echo_.make<EchoRequest>();
    request->set_data("allowed " + std::to_string(calls_++));
    return echo_.CallAsync(std::move(request));
  }
  std::string finish(Call& call) {
    auto reply = call.get(std::chrono::milliseconds(20000));
    return reply.ok() ? "" : std::string(status_text(reply.status()));
  }

 private:
  EchoClient echo_;
  uint64_t calls_ = 0;
};
using EchoLoad = testing::CallLoad<AllowedEchoCaller>;

// Waits until `good` grew by `more` (calls go on).
template <class Good>
void expect_progress(Good good, uint64_t more = 100) {
  const uint64_t before = good();
  EXPECT_TRUE(ServiceProcess::eventually([&] { return good() > before + more; }));
}

TEST(RpcPolicyUpgrade, AclMovesToItsPluginUnderLoadWithItsRulesAndCounters) {
  ServiceProcess service({"--schema-cache", schema_cache().string()});
  EchoLoad load(8, service.socket());
  auto probe = EchoClient::connect(service.socket());
  ctl_ok(service, "attach acl --config 'Call data prefix forbid' --all");
  auto denied = [&] {
    auto request = probe.make<EchoRequest>();
    request->set_data("forbidden");
    return probe.Call(std::move(request)).status() == Status::kDenied;
  };
  EXPECT_TRUE(denied());
  expect_progress([&] { return load.good(); });
  const uint64_t passed = counter(service, 2, "passed");  // frontend, marshal, acl, echo
  for (int i = 0; i < 3; ++i) {  // built in → plugin, then plugin → plugin (a "new version" again)
    ctl_ok(service, "upgrade acl --plugin " ACL_PLUGIN " --all");
    expect_progress([&] { return load.good(); });
  }
  const auto acl = engines(service)[2];
  EXPECT_EQ(acl["name"], "acl");
  EXPECT_EQ(acl["origin"], ACL_PLUGIN);
  EXPECT_EQ(acl["config"], "Call data prefix forbid");
  EXPECT_EQ(acl["counters"]["rules"], 1);
  EXPECT_GT(acl["counters"]["passed"].get<uint64_t>(), passed) << "the counters went on, not from zero";
  EXPECT_EQ(acl["counters"]["denied"], 0) << "the load asks nothing forbidden";
  EXPECT_EQ(counter(service, 2, "denied", 1), 1u) << "the probe's first call";
  EXPECT_TRUE(denied()) << "the rules came along";
  EXPECT_EQ(counter(service, 2, "denied", 1), 2u);
  load.stop();
  EXPECT_EQ(load.bad(), 0u);
  EXPECT_EQ(load.good(), load.sent()) << "every call answered";
}

TEST(RpcPolicyUpgrade, QosMovesToItsPluginUnderLoadWithItsCounters) {
  ServiceProcess service;
  LoadClient a(service.socket()), b(service.socket());
  ctl_ok(service, "attach qos --config '1=3' --all");
  auto good = [&] { return a.good() + b.good(); };
  expect_progress(good);
  const uint64_t passed = counter(service, 1, "passed");
  for (int i = 0; i < 3; ++i) {
    ctl_ok(service, "upgrade qos --plugin " QOS_PLUGIN " --all");
    expect_progress(good);
  }
  const auto qos = engines(service)[1];
  EXPECT_EQ(qos["origin"], QOS_PLUGIN);
  EXPECT_EQ(qos["config"], "1=3");
  EXPECT_GT(qos["counters"]["passed"].get<uint64_t>(), passed) << "the counters went on, not from zero";
  a.stop();
  b.stop();
  EXPECT_EQ(a.bad() + b.bad(), 0u) << a.first_error() << b.first_error();
  EXPECT_EQ(a.good(), a.sent());
  EXPECT_EQ(b.good(), b.sent());
}

// fixnet_rpc_latency_seconds_count of app 1, method 1, from the --metrics endpoint.
uint64_t scraped_count(const ServiceProcess& service) {
  const auto r = testing::run_program("curl -sS http://127.0.0.1:" + testing::metrics_port(service) + "/metrics");
  std::smatch m;
  const std::regex count(R"(fixnet_rpc_latency_seconds_count\{app="1",method="1"\} (\d+))");
  if (!std::regex_search(r.output, m, count)) {
    ADD_FAILURE() << "no latency count in " << r.output;
    return 0;
  }
  return std::stoull(m[1]);
}

TEST(RpcPolicyUpgrade, MetricsMovesToItsPluginUnderLoadWithItsCountsAndHistogram) {
  ServiceProcess service({"--metrics", "127.0.0.1:0"});
  LoadClient load(service.socket());
  ctl_ok(service, "attach metrics --all");
  expect_progress([&] { return load.good(); });
  const uint64_t calls = counter(service, 1, "calls"), timed = scraped_count(service);
  ASSERT_GT(timed, 0u);
  for (int i = 0; i < 3; ++i) {
    ctl_ok(service, "upgrade metrics --plugin " METRICS_PLUGIN " --all");
    expect_progress([&] { return load.good(); });
  }
  EXPECT_EQ(engines(service)[1]["origin"], METRICS_PLUGIN);
  EXPECT_GT(counter(service, 1, "calls"), calls) << "per-method counts went on, not from zero";
  EXPECT_GT(scraped_count(service), timed) << "the histogram went on, not from zero";
  load.stop();
  EXPECT_EQ(load.bad(), 0u) << load.first_error();
  EXPECT_EQ(load.good(), load.sent());
  // Every call the load made was counted and timed by one engine or the next (none lost in between).
  ASSERT_TRUE(ServiceProcess::eventually([&] { return counter(service, 1, "in_flight") == 0; }));
  EXPECT_EQ(scraped_count(service), counter(service, 1, "calls"));
}

// A plugin logs through fixnetd at its --log-level: the metrics plugin's warning about a full disk
// (/dev/full refuses every write) appears at level warning, in fixnetd's format, and not at error.
TEST(RpcPolicyUpgrade, PluginsLogAtTheDaemonsLogLevel) {
  for (const std::string level : {"warning", "error"}) {
    ServiceProcess service({"--log-level", level});
    LoadClient load(service.socket());
    ctl_ok(service, "attach " METRICS_PLUGIN " --config trace=/dev/full --all");
    ASSERT_EQ(engines(service)[1]["origin"], METRICS_PLUGIN);
    // Lines go to the writer in batches (at most 50 ms old): wait until some were dropped.
    ASSERT_TRUE(ServiceProcess::eventually([&] { return counter(service, 1, "trace_dropped") > 0; }));
    load.stop();
    EXPECT_EQ(load.bad(), 0u) << load.first_error();
    // The writer thread logs right after it counts the drop; the detach's round trip comes after.
    ctl_ok(service, "detach metrics --all");
    auto logged = [&] {
      return service.log().find("warning rpc: metrics trace /dev/full: No space left on device") != std::string::npos;
    };
    if (level == "warning") EXPECT_TRUE(ServiceProcess::eventually(logged)) << service.log();
    else EXPECT_FALSE(logged()) << "a warning at --log-level error; log:\n" << service.log();
  }
}

}  // namespace
}  // namespace fixnet::rpc
