// `fixnet bench rpc-upgrade` (issue 6, "Measured"): the RPC rate over time, in 10 ms buckets, of the
// fixnet Echo row (client app → fixnetd A ─TCP─► fixnetd B → server app) with 128 calls in flight,
// while the operator edits the client's chain on fixnetd A live through its operator socket: attach
// a rate limit, reconfigure it, detach it, upgrade the marshalling engine, upgrade the TCP transport
// (its connection and calls in flight move to the new engine). Baseline: the same timeline with no edit, run just before (the host's own dips).
#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "bench/harness.h"
#include "bench/rpc_systems.h"
#include "bench/temp_dir.h"
#include "core/error.h"
#include "rpc/operator_client.h"

namespace fixnet::bench {
namespace {

constexpr double kBucketMs = 10;

struct Edit {
  const char* key;
  nlohmann::json request;
};

struct Timeline {
  uint64_t failed = 0;
  std::vector<uint64_t> buckets;
};

Timeline timeline(RpcSystem& system, double seconds) {
  system.caller().write_line(fmt::format("timeline {} {} {} {}", kRateBytes, kOutstanding, seconds, kBucketMs));
  std::istringstream answer(system.caller().read_line(std::chrono::seconds(static_cast<int>(seconds) + 60)));
  std::string word;
  size_t n = 0;
  Timeline t;
  answer >> word >> t.failed >> n;
  if (word != "timeline") throw EnvironmentError("bench rpc-upgrade: the caller did not answer a timeline");
  t.buckets.resize(n);
  for (auto& b : t.buckets) answer >> b;
  return t;
}

// Buckets below half the median bucket, as runs: the longest, in ms.
double longest_dip_ms(const std::vector<uint64_t>& buckets) {
  std::vector<double> values(buckets.begin(), buckets.end() - 1);  // the last bucket is partial
  const double half = median(values) / 2;
  size_t longest = 0, run = 0;
  for (double v : values) {
    run = v < half ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return static_cast<double>(longest) * kBucketMs;
}

uint64_t total(const Timeline& t) {
  uint64_t sum = 0;
  for (uint64_t b : t.buckets) sum += b;
  return sum;
}

}  // namespace

Report rpc_upgrade_benchmark(const Options& options) {
  TempDir dir;
  Report report;
  progress("rpc-upgrade: starting fixnet (two fixnetd, client and server apps)");
  auto fixnet = start_fixnet(dir.path());
  const auto ctl = fixnet_caller_operator_socket(dir.path());
  const double step = options.quick ? 0.2 : 0.5;  // seconds between edits
  const std::vector<Edit> edits = {
      {"attach_ratelimit", {{"op", "attach"}, {"engine", "ratelimit"}, {"config", "rate=inf"}, {"all", true}}},
      {"config_ratelimit", {{"op", "config"}, {"engine", "ratelimit"}, {"config", "rate=10000000 burst=100000"},
                            {"all", true}}},
      {"detach_ratelimit", {{"op", "detach"}, {"engine", "ratelimit"}, {"all", true}}},
      {"upgrade_marshal", {{"op", "upgrade"}, {"engine", "marshal"}, {"plugin", "marshal"}, {"all", true}}},
      {"upgrade_tcp_client", {{"op", "upgrade"}, {"engine", "tcp-client"}, {"plugin", "tcp-client"}, {"all", true}}},
  };
  const double seconds = step * static_cast<double>(edits.size() + 1);

  progress("rpc-upgrade: a quiet timeline, then one with the edits");
  const Timeline quiet = timeline(*fixnet, seconds);
  std::vector<std::pair<double, nlohmann::json>> done(edits.size());  // ms each edit took, its reply
  std::thread operator_thread([&] {
    const auto start = Clock::now();
    for (size_t i = 0; i < edits.size(); ++i) {
      std::this_thread::sleep_until(start + std::chrono::duration<double>(step * static_cast<double>(i + 1)));
      const auto t0 = Clock::now();
      try {
        done[i].second = rpc::operator_request(ctl, edits[i].request);
      } catch (const std::exception& e) {
        done[i].second = {{"ok", false}, {"error", e.what()}};
      }
      done[i].first = seconds_between(t0, Clock::now()) * 1e3;
    }
  });
  const Timeline edited = timeline(*fixnet, seconds);
  operator_thread.join();

  const double quiet_rate = static_cast<double>(total(quiet)) / seconds;
  report.add({"quiet_rate", quiet_rate, "calls/s", "", std::nullopt});
  report.add({"edited_rate", static_cast<double>(total(edited)) / seconds, "calls/s", "quiet_rate",
              static_cast<double>(total(edited)) / seconds / quiet_rate});
  report.add({"quiet_longest_dip", longest_dip_ms(quiet.buckets), "ms", "", std::nullopt});
  report.add({"edited_longest_dip", longest_dip_ms(edited.buckets), "ms", "", std::nullopt});
  report.add({"edited_failed_calls", static_cast<double>(edited.failed), "calls", "", std::nullopt});
  nlohmann::ordered_json outcomes = nlohmann::ordered_json::object();
  for (size_t i = 0; i < edits.size(); ++i) {
    const bool ok = done[i].second.value("ok", false);
    report.add({std::string(edits[i].key) + "_ms", done[i].first, "ms", "", std::nullopt});
    outcomes[edits[i].key] = ok ? "done" : done[i].second.value("error", std::string("refused"));
  }
  report.targets.push_back({"zero_failed_calls", "edited_failed_calls", 0});
  report.targets.push_back({"longest_dip_at_most_10ms", "edited_longest_dip", 10});
  report.inputs["request_bytes"] = kRateBytes;
  report.inputs["outstanding"] = kOutstanding;
  report.inputs["bucket_ms"] = kBucketMs;
  report.inputs["seconds"] = seconds;
  report.inputs["edit_every_seconds"] = step;
  report.inputs["edits"] = outcomes;
  nlohmann::ordered_json buckets = nlohmann::ordered_json::object();
  buckets["quiet"] = quiet.buckets;
  buckets["edited"] = edited.buckets;
  report.inputs["buckets"] = buckets;
  report.method = fmt::format(
      "The fixnet row of `fixnet bench rpc` (Echo stubs; client app -> fixnetd A -> TCP -> fixnetd B -> server app) "
      "keeps {} calls of {} B in flight for {:.1f} s and counts the replies per {} ms bucket, twice: quietly, then "
      "while a thread edits the client's datapath on fixnetd A through its operator socket every {:.1f} s: attach "
      "ratelimit rate=inf, reconfigure it, detach it, upgrade the marshalling engine (to the built-in version), "
      "upgrade the tcp-client transport (to the built-in version: its connection, calls in flight and partial frames "
      "move). A dip is a run of "
      "buckets below half the timeline's median bucket; failed calls are replies with an error status.",
      kOutstanding, kRateBytes, seconds, kBucketMs, step);
  return report;
}

}  // namespace fixnet::bench
