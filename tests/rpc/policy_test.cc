// The policy engines end to end: a real fixnetd, real applications (raw bytes, and the Echo stubs of
// examples/rpc/echo.proto), policies attached with the real `fixnet rpc ctl`, metrics read with curl.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <fstream>
#include <mutex>
#include <regex>

#include "echo.fixnet.h"
#include "operator_test_util.h"
#include "rpc_test_util.h"

namespace fixnet::rpc {
namespace {

using fixnet::examples::echo::EchoClient;
using fixnet::examples::echo::EchoRequest;
using testing::chain;
using testing::ctl;
using testing::ctl_ok;
using testing::engines;
using testing::metrics_port;
using testing::schema_cache;
using testing::ServiceProcess;
namespace fs = std::filesystem;

constexpr uint32_t kEcho = 1;

uint64_t send_bytes(Client& client, uint32_t method, std::string_view text) {
  auto m = client.allocate(text.size());
  std::memcpy(m.bytes.data(), text.data(), text.size());
  return client.send(method, m, text.size());
}

TEST(RpcPolicy, RateLimitInRejectModeAnswersOverTheLimitWithAStatus) {
  ServiceProcess service;
  auto client = Client::connect(service.socket());
  ctl_ok(service, "attach ratelimit --config 'rate=0 burst=5 mode=reject' --app 1");
  std::vector<uint64_t> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(send_bytes(*client, kEcho, "call"));
  int ok = 0, limited = 0;
  for (uint64_t id : ids) {
    const auto reply = client->wait(id, std::chrono::milliseconds(10000));
    ok += reply.ok();
    limited += reply.status() == Status::kRateLimited;
  }
  EXPECT_EQ(ok, 5) << "the burst";
  EXPECT_EQ(limited, 15);
  EXPECT_EQ(engines(service)[1]["counters"]["rejected"], 15);
  EXPECT_EQ(client->send_heap_free_bytes(), client->welcome().send_heap_bytes) << "refused calls' buffers come back";
  // Raised live to infinity: everything passes.
  ctl_ok(service, "config ratelimit rate=inf --app 1");
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(testing::echoes(*client, kEcho, 32, i));
}

TEST(RpcPolicy, RateLimitInQueueModeDelaysCallsAndAnswersThemAll) {
  ServiceProcess service;
  auto client = Client::connect(service.socket());
  ctl_ok(service, "attach ratelimit --config 'rate=0 burst=3' --app 1");
  std::vector<uint64_t> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(send_bytes(*client, kEcho, "queued call"));
  // The burst passes, the rest waits: rate 0 never refills.
  ASSERT_TRUE(ServiceProcess::eventually([&] { return engines(service)[1]["counters"]["queued"] == 9; }));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(client->wait(ids[i], std::chrono::milliseconds(10000)).ok());
  ctl_ok(service, "config ratelimit 'rate=1000 burst=1' --app 1");
  for (size_t i = 3; i < ids.size(); ++i) EXPECT_TRUE(client->wait(ids[i], std::chrono::milliseconds(10000)).ok());
  const auto counters = engines(service)[1]["counters"];
  EXPECT_EQ(counters["passed"], 12);
  EXPECT_EQ(counters["delayed"], 9);
  EXPECT_EQ(counters["rejected"], 0);
}

TEST(RpcPolicy, AclDeniesCallsByArgumentValue) {
  ServiceProcess service({"--schema-cache", schema_cache().string()});
  auto echo = EchoClient::connect(service.socket());
  ctl_ok(service, "attach acl --config 'Call data == \"forbidden\"; Echo.Call data prefix secret/' --all");
  EXPECT_EQ(chain(service), (std::vector<std::string>{"frontend", "marshal", "acl", "echo"}))
      << "acl reads the wire encoding: after marshalling";
  auto call = [&](std::string_view data) {
    auto request = echo.make<EchoRequest>();
    request->set_data(data);
    return echo.Call(std::move(request));
  };
  EXPECT_EQ(call("forbidden").status(), Status::kDenied);
  EXPECT_EQ(call("secret/plans").status(), Status::kDenied);
  auto fine = call("forbidden!");  // not equal, no prefix
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(fine->data().data()), fine->data().size()), "forbidden!");
  EXPECT_TRUE(call("").ok()) << "an absent field is its default, empty";
  const auto counters = engines(service)[2]["counters"];
  EXPECT_EQ(counters["denied"], 2);
  EXPECT_EQ(counters["passed"], 2);
  EXPECT_EQ(counters["rules"], 2);
}

TEST(RpcPolicy, AclRulesNamingUnknownMethodsOrFieldsAreRefusedAtLoad) {
  ServiceProcess service({"--schema-cache", schema_cache().string()});
  auto echo = EchoClient::connect(service.socket());
  struct Case {
    const char* rules;
    const char* says;
  };
  for (const Case& c : {Case{"Call size == 3", "has no field size (it has data)"},
                        Case{"Put data == x", "has no method Put (it has Call)"},
                        Case{"Call data < x", "compare with ==, != or prefix"},
                        Case{"Call data ~ x", "unknown operator"},
                        Case{"Call data ==", "METHOD FIELD OP VALUE"},
                        Case{"Call data == \"open", "quote is not closed"}}) {
    const auto r = ctl(service, std::string("attach acl --config '") + c.rules + "' --all");
    EXPECT_EQ(r.exit_code, 1) << c.rules;
    EXPECT_NE(r.output.find(c.says), std::string::npos) << c.rules << ": " << r.output;
  }
  EXPECT_EQ(chain(service), (std::vector<std::string>{"frontend", "marshal", "echo"})) << "nothing attached";
  // A good ACL, then a bad reconfiguration: refused, the rules stay.
  ctl_ok(service, "attach acl --config 'Call data == no' --all");
  EXPECT_EQ(ctl(service, "config acl 'Call nothing == 1' --all").exit_code, 1);
  EXPECT_EQ(engines(service)[2]["config"], "Call data == no");
  // A raw-bytes application has no schema to resolve rules in.
  auto raw = Client::connect(service.socket());
  const auto r = ctl(service, "attach acl --config 'Call data == no' --app 2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("raw bytes"), std::string::npos) << r.output;
}

// Found by fuzz/rpc_policy_config_fuzz (rendered rules did not parse back): the rules were split at
// every ';' before quotes were read, so a quoted value could not hold one.
TEST(RpcPolicy, AclQuotedValuesMayHoldSemicolons) {
  ServiceProcess service({"--schema-cache", schema_cache().string()});
  auto echo = EchoClient::connect(service.socket());
  ctl_ok(service, "attach acl --config 'Call data == \"a;b\"; Call data == \"c\"' --all");
  EXPECT_EQ(engines(service)[2]["counters"]["rules"], 2);
  auto call = [&](std::string_view data) {
    auto request = echo.make<EchoRequest>();
    request->set_data(data);
    return echo.Call(std::move(request)).status();
  };
  EXPECT_EQ(call("a;b"), Status::kDenied);
  EXPECT_EQ(call("c"), Status::kDenied);
  EXPECT_EQ(call("a"), Status::kOk);
}

TEST(RpcPolicy, AclChecksAPrivateCopySoARewrittenHeapCannotSlipThrough) {
  ServiceProcess service({"--schema-cache", schema_cache().string()});
  auto echo = EchoClient::connect(service.socket());
  ctl_ok(service, "attach acl --config 'Call data == \"forbid!!\"' --all");
  // A writer thread flips the argument in the shared heap while each call is in flight.
  std::mutex writing;
  uint8_t* target = nullptr;  // under `writing`
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    // Each value stays a moment, so the service's check meets both.
    auto linger = [] {
      for (int i = 0; i < 2000; ++i) asm volatile("" ::: "memory");
    };
    for (bool forbidden = false; !stop; forbidden = !forbidden) {
      {
        std::lock_guard lock(writing);
        if (target != nullptr) std::memcpy(target, forbidden ? "forbid!!" : "allowed!", 8);
      }
      linger();
    }
  });
  int ok = 0, denied = 0, other = 0;
  // At least 2000 calls, and on until both outcomes were seen: on a loaded host the writer may not
  // get a core for a while (up to 20000 calls).
  for (int i = 0; i < 20000 && (i < 2000 || ok == 0 || denied == 0); ++i) {
    auto request = echo.make<EchoRequest>();
    const auto data = request->mutable_data(8);
    std::memcpy(data.data(), "allowed!", 8);
    {
      std::lock_guard lock(writing);
      target = data.data();
    }
    auto pending = echo.CallAsync(std::move(request));
    auto reply = pending.get(std::chrono::milliseconds(10000));
    {
      std::lock_guard lock(writing);  // the writer lets go of this buffer before it is reused
      target = nullptr;
    }
    if (reply.ok()) {
      ++ok;
      const std::string got(reinterpret_cast<const char*>(reply->data().data()), reply->data().size());
      if (got == "forbid!!") {  // not ASSERT: the writer thread must be joined first
        ADD_FAILURE() << "call " << i << ": a forbidden argument passed the ACL";
        break;
      }
    } else if (reply.status() == Status::kDenied) {
      ++denied;
    } else {
      ++other;
    }
  }
  stop = true;
  writer.join();
  EXPECT_EQ(other, 0);
  EXPECT_GT(ok, 0);
  EXPECT_GT(denied, 0) << "the writer raced the check";
}

TEST(RpcPolicy, MetricsAreServedAsPrometheusText) {
  ServiceProcess service({"--metrics", "127.0.0.1:0", "--schema-cache", schema_cache().string()});
  auto echo = EchoClient::connect(service.socket());
  auto raw = Client::connect(service.socket());
  ctl_ok(service, "attach metrics --all");
  for (int i = 0; i < 25; ++i) {
    auto request = echo.make<EchoRequest>();
    request->set_data("hello");
    ASSERT_TRUE(echo.Call(std::move(request)).ok());
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(raw->wait(send_bytes(*raw, 7, "x")).status(), Status::kUnknownMethod);
  const std::string port = metrics_port(service);
  const auto r = testing::run_program("curl -sS http://127.0.0.1:" + port + "/metrics");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string& text = r.output;
  for (const char* line : {"# TYPE fixnet_rpc_calls_total counter",
                           "fixnet_rpc_calls_total{app=\"1\",method=\"fixnet.examples.echo.Echo.Call\"} 25",
                           "fixnet_rpc_errors_total{app=\"1\",method=\"fixnet.examples.echo.Echo.Call\"} 0",
                           "fixnet_rpc_latency_seconds_count{app=\"1\",method=\"fixnet.examples.echo.Echo.Call\"} 25",
                           "le=\"+Inf\"} 25", "# TYPE fixnet_rpc_latency_seconds histogram",
                           "fixnet_rpc_calls_total{app=\"2\",method=\"7\"} 3",
                           "fixnet_rpc_errors_total{app=\"2\",method=\"7\"} 3",
                           "fixnet_rpc_engine_counter{app=\"1\",engine=\"frontend\",counter=\"requests\"} 25"})
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  EXPECT_NE(testing::run_program("curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:" + port + "/other")
                .output.find("404"),
            std::string::npos);
}

// Found by fuzz/http_request_fuzz: a request head ending beyond 8 KiB was served when its blank line
// came in the read that crossed the limit, refused (431) when the reads were cut otherwise.
TEST(RpcPolicy, MetricsRequestHeadsLongerThanTheLimitAre431HoweverTheyArrive) {
  ServiceProcess service({"--metrics", "127.0.0.1:0"});
  const std::string head = "GET /metrics HTTP/1.1\r\nX-Padding: " + std::string(9000, 'p') + "\r\n\r\n";
  // One write (the server reads it in 2 KiB pieces), and curl's own.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(std::stoi(metrics_port(service))));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const timeval timeout{5, 0};  // a server that waits for more instead of answering fails, not hangs
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  std::string reply(64, '\0');
  reply.resize(std::max<ssize_t>(0, ::recv(fd, reply.data(), reply.size(), MSG_WAITALL)));
  ::close(fd);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 431")) << reply;
  const auto r = testing::run_program("curl -sS -o /dev/null -w 'HTTP/1.1 %{http_code}' -H 'X-Padding: " +
                                      std::string(9000, 'p') + "' http://127.0.0.1:" + metrics_port(service) + "/metrics");
  EXPECT_NE(r.output.find("HTTP/1.1 431"), std::string::npos) << r.output.substr(0, 200);
  EXPECT_TRUE(service.alive());
}

// The trace log's lines, once `count` of them are there.
std::vector<std::string> trace_lines(const fs::path& file, size_t count) {
  std::vector<std::string> lines;
  EXPECT_TRUE(ServiceProcess::eventually([&] {
    std::istringstream text(testing::read_text(file));
    lines.clear();
    for (std::string line; std::getline(text, line);) lines.push_back(line);
    return lines.size() >= count;
  })) << lines.size() << " lines";
  return lines;
}

TEST(RpcPolicy, MetricsTraceLogsOneLinePerCall) {
  ServiceProcess service({"--schema-cache", schema_cache().string()});
  auto raw = Client::connect(service.socket());
  auto echo = EchoClient::connect(service.socket());
  const fs::path file = service.socket().parent_path() / "trace.log";
  ctl_ok(service, "attach metrics --config trace=" + file.string() + " --all");
  std::vector<uint64_t> ids;
  for (size_t size : {1, 10, 100}) {
    ids.push_back(send_bytes(*raw, kEcho, std::string(size, 'x')));
    ASSERT_TRUE(raw->wait(ids.back()).ok());
  }
  const uint64_t unknown = send_bytes(*raw, 9, "?");
  EXPECT_EQ(raw->wait(unknown).status(), Status::kUnknownMethod);
  auto request = echo.make<EchoRequest>();
  request->set_data("traced");
  ASSERT_TRUE(echo.Call(std::move(request)).ok());

  const auto lines = trace_lines(file, 5);
  ASSERT_EQ(lines.size(), 5u);
  const std::regex line(R"((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) app=(\d+) method=(\S+) call=(\d+) )"
                        R"(status=(\d+) latency_us=(\d+) request_bytes=(\d+) reply_bytes=(\d+))");
  struct Expected {
    std::string app, method;
    uint64_t call;
    int status;
    std::string request_bytes, reply_bytes;
  };
  // The raw application's calls in order, then the Echo call (its bytes are its heap layout's).
  std::vector<Expected> expected = {{"1", "1", ids[0], 0, "1", "1"},
                                    {"1", "1", ids[1], 0, "10", "10"},
                                    {"1", "1", ids[2], 0, "100", "100"},
                                    {"1", "9", unknown, static_cast<int>(Status::kUnknownMethod), "1", "0"}};
  for (size_t i = 0; i < 4; ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(lines[i], m, line)) << lines[i];
    EXPECT_EQ(m[2], expected[i].app) << lines[i];
    EXPECT_EQ(m[3], expected[i].method) << lines[i];
    EXPECT_EQ(m[4], std::to_string(expected[i].call)) << lines[i];
    EXPECT_EQ(m[5], std::to_string(expected[i].status)) << lines[i];
    EXPECT_EQ(m[7], expected[i].request_bytes) << lines[i];
    EXPECT_EQ(m[8], expected[i].reply_bytes) << lines[i];
  }
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[4], m, line)) << lines[4];
  EXPECT_EQ(m[2], "2");
  EXPECT_EQ(m[3], "fixnet.examples.echo.Echo.Call");
  EXPECT_EQ(engines(service)[1]["counters"]["traced"], 4);
  EXPECT_EQ(engines(service)[1]["counters"]["trace_dropped"], 0);
}

TEST(RpcPolicy, MetricsTraceToAnUnwritablePathIsRefusedAndAFullDiskDropsLinesNotCalls) {
  ServiceProcess service;
  auto raw = Client::connect(service.socket());
  auto r = ctl(service, "attach metrics --config trace=/nonexistent/dir/trace.log --all");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("trace=/nonexistent/dir/trace.log: cannot open it for appending"), std::string::npos)
      << r.output;
  EXPECT_EQ(chain(service), (std::vector<std::string>{"frontend", "echo"})) << "nothing attached";
  r = ctl(service, "attach metrics --config trace= --all");
  EXPECT_EQ(r.exit_code, 1) << "an empty path";
  // /dev/full takes the file open and refuses every write (ENOSPC): calls go on, lines are counted.
  ctl_ok(service, "attach metrics --config trace=/dev/full --all");
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(testing::echoes(*raw, kEcho, 32, i));
  EXPECT_TRUE(ServiceProcess::eventually([&] { return engines(service)[1]["counters"]["trace_dropped"] == 20; }))
      << engines(service)[1];
  EXPECT_EQ(engines(service)[1]["counters"]["traced"], 0);
  EXPECT_NE(service.log().find("metrics trace /dev/full: No space left on device"), std::string::npos);
  // Reconfigured live to no trace: the counters of the trace go with it.
  ctl_ok(service, "config metrics '' --all");
  EXPECT_FALSE(engines(service)[1]["counters"].contains("trace_dropped"));
}

TEST(RpcPolicy, QosPassesTheMostUrgentMethodFirst) {
  ServiceProcess service;
  auto client = Client::connect(service.socket());
  // A gate (rate 0, one token) holds calls until opened, so they reach qos together; behind qos a
  // reject-mode limit lets exactly two through: the two qos passes first.
  ctl_ok(service, "attach ratelimit --config 'rate=0 burst=1' --app 1");
  ASSERT_TRUE(testing::echoes(*client, kEcho, 8, 0));  // spends the gate's token
  ctl_ok(service, "attach qos --config '1=9' --app 1");
  ctl_ok(service, "attach ratelimit --config 'rate=0 burst=2 mode=reject' --app 1");
  EXPECT_EQ(chain(service), (std::vector<std::string>{"frontend", "ratelimit", "qos", "ratelimit", "echo"}));
  std::vector<uint64_t> low, high;  // method 2 (priority 0) sent first, method 1 (priority 9) after
  for (int i = 0; i < 8; ++i) low.push_back(send_bytes(*client, 2, "low"));
  for (int i = 0; i < 8; ++i) high.push_back(send_bytes(*client, kEcho, "high"));
  ASSERT_TRUE(ServiceProcess::eventually([&] { return engines(service)[1]["counters"]["queued"] == 16; }));
  ctl_ok(service, "config ratelimit rate=inf --app 1");  // the first ratelimit: the gate opens
  int high_ok = 0, limited = 0;
  for (uint64_t id : high) {
    const auto reply = client->wait(id, std::chrono::milliseconds(10000));
    high_ok += reply.ok();
    limited += reply.status() == Status::kRateLimited;
  }
  for (uint64_t id : low) limited += client->wait(id, std::chrono::milliseconds(10000)).status() == Status::kRateLimited;
  EXPECT_EQ(high_ok, 2) << "without qos the two oldest (low) calls would have passed";
  EXPECT_EQ(limited, 14);
  EXPECT_EQ(engines(service)[2]["counters"]["passed"], 16);
}

TEST(RpcPolicy, QosHoldsLessUrgentCallsOfOneApplicationWhileAnotherCallsMoreUrgently) {
  ServiceProcess service;  // one shared runtime thread: both datapaths on it
  testing::LoadClient urgent(service.socket());  // method 1, 16 in flight, continuously
  auto other = Client::connect(service.socket());
  ctl_ok(service, "attach qos --config '1=9 2=1' --all");
  // The other application's method-2 calls (priority 1; the echo engine answers them "unknown
  // method") wait while method-1 calls keep passing on the runtime, and are all answered.
  int answered = 0;
  for (int i = 0; i < 200 && engines(service, 1)[1]["counters"]["yielded"] == 0; ++i) {
    std::vector<uint64_t> ids;
    for (int k = 0; k < 16; ++k) ids.push_back(send_bytes(*other, 2, "later"));
    for (uint64_t id : ids) answered += other->wait(id, std::chrono::milliseconds(10000)).status() == Status::kUnknownMethod;
  }
  EXPECT_GT(engines(service, 1)[1]["counters"]["yielded"].get<uint64_t>(), 0u);
  EXPECT_GT(answered, 0);
  EXPECT_EQ(answered % 16, 0) << "every call answered";
  urgent.stop();
  EXPECT_EQ(urgent.bad(), 0u) << urgent.first_error();
  EXPECT_EQ(urgent.good(), urgent.sent());
}

}  // namespace
}  // namespace fixnet::rpc
