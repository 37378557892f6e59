// `fixnet bench rpc` (issue 5, "Measured"): one call through fixnet RPC — its generated Echo stubs
// (fixnet), and raw bytes without a schema (fixnet_raw) — against raw TCP, gRPC C++ and gRPC C++
// through two nginx sidecars, all on this host over loopback, every system as real processes
// (bench/rpc_systems.h) started by the benchmark and measured in the same interleaved rounds:
//   latency   64 B requests, 8 B replies, one call at a time: median and p99 of every call's round trip;
//   rate      32 B requests, 128 outstanding from one client thread: calls per second, and per core
//             (calls per CPU-second of all the row's processes);
//   goodput   8 KiB … 8 MiB requests (8 B replies), one at a time: request bytes per second;
//   CPU       CPU time of all the row's processes per call, one call at a time (/proc/PID/stat).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>

#include "bench/child_process.h"
#include "bench/harness.h"
#include "bench/rpc_systems.h"
#include "bench/temp_dir.h"
#include "core/error.h"

namespace fixnet::bench {
namespace {

constexpr size_t kLatencyBytes = 64;
struct GoodputSize {
  const char* label;
  size_t bytes;
};
constexpr GoodputSize kGoodputSizes[] = {{"8k", 8 << 10}, {"64k", 64 << 10}, {"1m", 1 << 20}, {"8m", 8 << 20}};

// What one system's rounds gathered.
struct Figures {
  std::vector<double> latency_ns;  // every call, pooled over rounds
  double latency_cpu = 0;          // CPU seconds of all its processes during the latency samples
  uint64_t latency_calls = 0;
  double rate_cpu = 0, rate_seconds = 0;
  uint64_t rate_calls = 0;
};

// Sends one command to the system's caller; returns the answer's words after the first, and adds
// the CPU all its processes used meanwhile to `cpu`.
std::vector<std::string> command(RpcSystem& system, const std::string& line, double& cpu) {
  const double before = system.cpu_seconds();
  system.caller().write_line(line);
  std::istringstream answer(system.caller().read_line());
  cpu += system.cpu_seconds() - before;
  std::vector<std::string> words;
  for (std::string w; answer >> w;) words.push_back(w);
  if (words.size() < 2) throw EnvironmentError("bench rpc: a caller answered '" + line + "' with too little");
  words.erase(words.begin());
  return words;
}

std::function<Sample()> latency(RpcSystem& system, Figures& f, double slice) {
  return [&system, &f, slice] {
    const auto words = command(system, fmt::format("latency {} {}", kLatencyBytes, slice), f.latency_cpu);
    std::vector<double> mine;
    for (size_t i = 1; i < words.size(); ++i) mine.push_back(std::stod(words[i]));
    f.latency_ns.insert(f.latency_ns.end(), mine.begin(), mine.end());
    f.latency_calls += mine.size();
    double total = 0;
    for (double v : mine) total += v;
    return Sample{median(mine), total / 1e9};
  };
}

std::function<Sample()> rate(RpcSystem& system, Figures& f, double slice) {
  return [&system, &f, slice] {
    const auto words = command(system, fmt::format("rate {} {} {}", kRateBytes, kOutstanding, slice), f.rate_cpu);
    const double calls = std::stod(words.at(0)), seconds = std::stod(words.at(1));
    f.rate_calls += static_cast<uint64_t>(calls);
    f.rate_seconds += seconds;
    return Sample{calls / seconds, seconds};
  };
}

std::function<Sample()> goodput(RpcSystem& system, size_t bytes, double slice) {
  return [&system, bytes, slice] {
    double cpu = 0;
    const auto words = command(system, fmt::format("goodput {} {}", bytes, slice), cpu);
    const double calls = std::stod(words.at(0)), seconds = std::stod(words.at(1));
    return Sample{calls * static_cast<double>(bytes) * 8 / seconds / 1e9, seconds};  // Gbit/s
  };
}

// Debian's sockperf ping-pong over TCP, 64 B each way, full round trips (--full-rtt): a second raw TCP
// figure, from a tool not ours. It times itself for whole seconds, so it runs once, after the rounds.
void sockperf_rows(Report& report, const Options& options, const std::filesystem::path& dir) {
  const auto sockperf = find_program("sockperf");
  if (sockperf.empty()) {
    report.not_measured.emplace_back("sockperf", "no sockperf (scripts/setup installs it)");
    return;
  }
  const std::string port = std::to_string(free_loopback_port());
  ChildProcess server("sockperf-server", {sockperf.string(), "server", "--tcp", "-i", "127.0.0.1", "-p", port},
                      dir / "sockperf-server.log");
  await_loopback_port(static_cast<uint16_t>(std::stoul(port)), "sockperf server");
  const int seconds = options.quick ? 1 : std::max(1, static_cast<int>(options.seconds * 2));
  ChildProcess client("sockperf-client",
                      {sockperf.string(), "ping-pong", "--tcp", "-i", "127.0.0.1", "-p", port, "-m",
                       std::to_string(kLatencyBytes), "-t", std::to_string(seconds), "--full-rtt"},
                      dir / "sockperf-client.log");
  std::map<std::string, double> percentiles;  // "50.000" → µs
  const std::regex line(R"(percentile (\d+\.\d+) =\s*([0-9.]+))");
  while (!percentiles.count("50.000")) {
    std::smatch m;
    const std::string text = client.read_line(std::chrono::seconds(seconds + 30));
    if (std::regex_search(text, m, line)) percentiles[m[1].str()] = std::stod(m[2].str());
  }
  const double raw = report.row("raw_tcp_median").value;
  report.add({"sockperf_median", percentiles.at("50.000"), "us", "raw_tcp_median", percentiles.at("50.000") / raw});
  report.add({"sockperf_p99", percentiles.at("99.000"), "us", "", std::nullopt});
  report.inputs["sockperf_seconds"] = seconds;
}

}  // namespace

Report rpc_benchmark(const Options& options) {
  TempDir dir;
  std::vector<std::unique_ptr<RpcSystem>> systems;
  Report report;
  progress("rpc: starting raw TCP, gRPC, gRPC + nginx, fixnet and fixnet_raw (two fixnetd each) and gRPC interop "
           "processes");
  systems.push_back(start_raw_tcp(dir.path()));
  systems.push_back(start_grpc(dir.path()));
  if (const auto nginx = find_program("nginx"); !nginx.empty())
    systems.push_back(start_grpc_nginx(dir.path(), nginx));
  else
    report.not_measured.emplace_back("grpc_nginx", "no nginx (scripts/setup installs nginx-light)");
  systems.push_back(start_fixnet(dir.path()));
  systems.push_back(start_fixnet_raw(dir.path()));
  systems.push_back(start_grpc_interop(dir.path()));

  const size_t rounds = options.quick ? 2 : 5;
  const double seconds = measured_seconds(options);
  const double slice = seconds / static_cast<double>(rounds);
  std::vector<Figures> figures(systems.size());
  std::vector<std::function<Sample()>> measurements;
  for (size_t s = 0; s < systems.size(); ++s) {
    measurements.push_back(latency(*systems[s], figures[s], slice));
    measurements.push_back(rate(*systems[s], figures[s], slice));
    for (const GoodputSize& g : kGoodputSizes) measurements.push_back(goodput(*systems[s], g.bytes, slice));
  }
  progress(fmt::format("rpc: {} rounds of {} measurements", rounds, measurements.size()));
  const auto samples = interleave(measurements, rounds, seconds);
  const size_t per_system = 2 + std::size(kGoodputSizes);
  auto series = [&](size_t s, size_t m) -> const std::vector<double>& { return samples[s * per_system + m]; };

  const size_t raw = 0;
  for (size_t s = 0; s < systems.size(); ++s) {
    const std::string& key = systems[s]->key;
    const Figures& f = figures[s];
    const bool baseline = s == raw;
    auto ratio_to_raw = [&](size_t m) -> std::optional<double> {
      if (baseline) return std::nullopt;
      return median(quotients(series(s, m), series(raw, m)));
    };
    auto base = [&](const std::string& suffix) { return baseline ? std::string() : "raw_tcp_" + suffix; };
    report.add({key + "_median", median(f.latency_ns) / 1e3, "us", base("median"), ratio_to_raw(0)});
    const double p99 = percentile(f.latency_ns, 99) / 1e3;
    report.add({key + "_p99", p99, "us", base("p99"),
                baseline ? std::nullopt : std::optional(p99 / (percentile(figures[raw].latency_ns, 99) / 1e3))});
    report.add({key + "_cpu_per_rpc", f.latency_cpu / static_cast<double>(f.latency_calls) * 1e6, "us", "", std::nullopt});
    report.add({key + "_rate", median(series(s, 1)), "calls/s", base("rate"), ratio_to_raw(1)});
    report.add({key + "_rate_per_core", static_cast<double>(f.rate_calls) / f.rate_cpu, "calls/cpu-s", "", std::nullopt});
    for (size_t g = 0; g < std::size(kGoodputSizes); ++g) {
      const std::string suffix = std::string("goodput_") + kGoodputSizes[g].label;
      report.add({key + "_" + suffix, median(series(s, 2 + g)), "Gbit/s", base(suffix), ratio_to_raw(2 + g)});
    }
  }

  sockperf_rows(report, options, dir.path());

  auto index_of = [&](const std::string& key) -> std::optional<size_t> {
    for (size_t s = 0; s < systems.size(); ++s)
      if (systems[s]->key == key) return s;
    return std::nullopt;
  };
  const size_t fixnet = *index_of("fixnet"), grpc = *index_of("grpc");
  report.add_ratio("fixnet_median_over_raw_tcp", median(quotients(series(fixnet, 0), series(raw, 0))));
  // What the stubs and marshalling add to a call over the raw-bytes path.
  const size_t fixnet_raw = *index_of("fixnet_raw");
  report.add_ratio("fixnet_median_over_fixnet_raw", median(quotients(series(fixnet, 0), series(fixnet_raw, 0))));
  report.add_ratio("grpc_median_over_raw_tcp", median(quotients(series(grpc, 0), series(raw, 0))));
  report.add_ratio("grpc_median_over_fixnet", median(quotients(series(grpc, 0), series(fixnet, 0))));
  if (auto nginx = index_of("grpc_nginx")) {
    report.add_ratio("grpc_nginx_median_over_raw_tcp", median(quotients(series(*nginx, 0), series(raw, 0))));
    report.add_ratio("grpc_nginx_median_over_fixnet", median(quotients(series(*nginx, 0), series(fixnet, 0))));
  }
  report.add_ratio("fixnet_rate_per_core_over_grpc",
                   report.row("fixnet_rate_per_core").value / report.row("grpc_rate_per_core").value);
  report.targets.push_back({"median_vs_raw_tcp", "fixnet_median_over_raw_tcp", 2});
  report.targets.push_back({"median_vs_grpc", "grpc_median_over_fixnet", 2, true});
  report.targets.push_back({"median_vs_grpc_sidecars", "grpc_nginx_median_over_fixnet", 6, true});
  report.targets.push_back({"rate_per_core_vs_grpc", "fixnet_rate_per_core_over_grpc", 2, true});

  report.inputs["latency_request_bytes"] = kLatencyBytes;
  report.inputs["reply_bytes"] = 8;
  report.inputs["rate_request_bytes"] = kRateBytes;
  report.inputs["rate_outstanding"] = kOutstanding;
  nlohmann::ordered_json sizes = nlohmann::ordered_json::object();
  for (const GoodputSize& g : kGoodputSizes) sizes[g.label] = g.bytes;
  report.inputs["goodput_request_bytes"] = sizes;
  report.inputs["rounds"] = samples[0].size();
  report.inputs["latency_calls"] = figures[fixnet].latency_calls;
  report.method = fmt::format(
      "Every system runs as real processes started by the benchmark on this host, over loopback: raw_tcp is our "
      "own minimal C++ ping-pong (a 4-byte length and the request, an 8-byte reply; blocking sockets, "
      "TCP_NODELAY), and sockperf_* Debian's sockperf ping-pong (TCP, 64 B both ways, --full-rtt, run once after "
      "the rounds); grpc is a C++ server (callback API) and client on Debian's libgrpc++ with examples/rpc/echo.proto "
      "(EchoRequest/EchoReply bytes data); grpc_nginx is the same client and server through two nginx processes "
      "(grpc_pass over cleartext HTTP/2, one process each, no master), standing in for Envoy sidecars; fixnet is "
      "client app -> fixnetd A -> TCP -> fixnetd B -> server app on the Echo stubs protoc-gen-fixnet generates from "
      "the same echo.proto (schema in the Hello; requests and replies built in the shared heaps in the schema's "
      "layout, encoded to and decoded from protobuf's wire format by each fixnetd's marshalling engine); "
      "fixnet_raw is the same path with rpc::Client / rpc::Server and raw bytes (no schema, no marshalling); "
      "grpc_interop is grpc's libgrpc++ client calling fixnet's Echo-stub server through one fixnetd --grpc-listen "
      "(HTTP/2 + protobuf in, the marshalling engine decoding into the server's heap). "
      "Every server answers with 8 bytes. Measurements interleaved in at least {} alternating rounds: latency "
      "times every call of {} B at concurrency 1 (median and p99 pooled over rounds); rate keeps {} calls of {} B "
      "in flight from one client thread (the async stubs for gRPC and fixnet); goodput sends 8 KiB to 8 MiB requests one at a "
      "time (Gbit/s of request bytes). CPU per RPC and rate per core sum utime+stime (/proc/PID/stat) of all the "
      "row's processes over the latency and rate runs. Ratios to raw TCP are medians of per-round quotients "
      "(p99 and per-core figures: quotients of the pooled figures).",
      rounds, kLatencyBytes, kOutstanding, kRateBytes);
  return report;
}

}  // namespace fixnet::bench
