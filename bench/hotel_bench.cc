// `fixnet bench hotel` (issue 6, "A real microservice application"): the hotel-reservation application
// (examples/hotel) end to end at one fixed request rate on three transports, each deployed by its
// launcher (`examples/hotel/run --transport T --serve-loads`): fixnet (two fixnetds, one per machine,
// routing by service, with hotel-policies.toml's acl and rate limit), gRPC direct, and gRPC through
// two nginx sidecars per call. All three stay up for the whole run and take their loads in
// interleaved rounds, so a slow phase of this shared machine hits all three alike (one long load
// each, one after the other, gave ratios that moved by 2x between runs). The figures are the
// launcher's load generator's (hotel-load: open loop, latency from when each request was due) and
// the CPU time per request of every process it started; this file only runs and reads them.
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <regex>
#include <string>

#include "bench/child_process.h"
#include "bench/harness.h"
#include "bench/temp_dir.h"
#include "core/error.h"

namespace fixnet::bench {
namespace {

namespace fs = std::filesystem;

struct Transport {
  const char* name;  // the launcher's --transport
  const char* key;   // the rows' prefix
};
constexpr Transport kTransports[] = {{"fixnet", "fixnet"}, {"grpc", "grpc"}, {"grpc-nginx", "grpc_nginx"}};

struct Figures {
  double mean = 0, p50 = 0, p99 = 0, cpu_per_request = 0;
  uint64_t errors = 0;
};

// hotel-load's summary line and run's CPU line (examples/hotel/README.md, "The load generator").
Figures parse(const std::string& transport, const std::string& output) {
  static const std::regex latency(R"(mean (\d+) us, p50 (\d+) us, p99 (\d+) us.*errors (\d+))");
  static const std::regex cpu(R"(cpu per request:.* total (\d+) us)");
  std::smatch m, c;
  if (!std::regex_search(output, m, latency) || !std::regex_search(output, c, cpu))
    throw EnvironmentError("bench hotel: the " + transport + " run printed no latency figures: " +
                           one_line(output.substr(output.size() > 400 ? output.size() - 400 : 0), 400));
  return {std::stod(m[1]), std::stod(m[2]), std::stod(m[3]), std::stod(c[1]), std::stoull(m[4])};
}

// The median of one figure over a transport's rounds.
double median_of(const std::vector<Figures>& rounds, double Figures::*figure) {
  std::vector<double> v;
  for (const Figures& f : rounds) v.push_back(f.*figure);
  return median(v);
}

// The median over rounds of `of`'s figure over `over`'s, round by round.
double median_quotient(const std::vector<Figures>& of, const std::vector<Figures>& over, double Figures::*figure) {
  std::vector<double> q;
  for (size_t r = 0; r < std::min(of.size(), over.size()); ++r) q.push_back(of[r].*figure / over[r].*figure);
  return median(q);
}

}  // namespace

Report hotel_benchmark(const Options& options) {
  Report report;
  const double rate = options.quick ? 50 : 200;
  const size_t round_count = options.quick ? 1 : 5;
  const double slice = options.quick ? 2 : 3 * options.seconds;  // seconds of one load
  const fs::path build = fs::read_symlink("/proc/self/exe").parent_path();
  const fs::path launcher = FIXNET_HOTEL_RUN;
  report.inputs["rate"] = rate;
  report.inputs["seconds"] = slice * static_cast<double>(round_count);
  report.inputs["rounds"] = round_count;
  report.inputs["launcher"] = launcher.string();
  if (!fs::exists(launcher) || !fs::exists(build / "examples/hotel/hotel-fixnet")) {
    report.not_measured.emplace_back("hotel", "needs the source tree's examples/hotel/run and the build's "
                                              "examples/hotel programs (./scripts/build), not found at " +
                                                  launcher.string());
    return report;
  }
  TempDir dir;
  std::vector<std::unique_ptr<ChildProcess>> launchers;
  for (const Transport& t : kTransports) {
    progress(fmt::format("hotel: starting the application on {}", t.name));
    launchers.push_back(std::make_unique<ChildProcess>(
        std::string("examples/hotel/run --transport ") + t.name,
        std::vector<std::string>{launcher.string(), "--transport", t.name, "--serve-loads", "--build", build.string(),
                                 "--dir", (dir.path() / t.key).string()},
        dir.path() / (std::string(t.key) + ".log")));
    while (launchers.back()->read_line(std::chrono::seconds(120)).find("reading 'load") == std::string::npos) {
    }
  }
  // A load on transport i: what the launcher prints, up to its CPU line (the last), parsed.
  std::vector<std::vector<Figures>> rounds(std::size(kTransports));
  std::vector<std::function<Sample()>> loads;
  for (size_t i = 0; i < std::size(kTransports); ++i) {
    loads.push_back([&, i] {
      ChildProcess& run = *launchers[i];
      run.write_line(fmt::format("load {} {}", rate, slice));
      std::string output;
      for (bool last = false; !last;) {
        const std::string line = run.read_line(std::chrono::seconds(static_cast<int>(slice) + 60));
        last = line.rfind("cpu per request", 0) == 0;
        output += line + "\n";
      }
      rounds[i].push_back(parse(kTransports[i].name, output));
      return Sample{rounds[i].back().mean, slice};
    });
  }
  progress(fmt::format("hotel: {} interleaved rounds of {} s at {} requests/s on each transport", round_count, slice,
                       rate));
  interleave(loads, round_count, 0);

  const std::vector<Figures>& fixnet = rounds[0];
  for (size_t i = 0; i < std::size(kTransports); ++i) {
    const std::vector<Figures>& f = rounds[i];
    const bool base = i == 0;
    const std::string key = kTransports[i].key;
    auto ratio = [&](double Figures::*figure) {
      return base ? std::nullopt : std::optional(median_quotient(f, fixnet, figure));
    };
    report.add({key + "_mean", median_of(f, &Figures::mean), "us", base ? "" : "fixnet_mean", ratio(&Figures::mean)});
    report.add({key + "_p50", median_of(f, &Figures::p50), "us", base ? "" : "fixnet_p50", ratio(&Figures::p50)});
    report.add({key + "_p99", median_of(f, &Figures::p99), "us", base ? "" : "fixnet_p99", ratio(&Figures::p99)});
    report.add({key + "_cpu_per_request", median_of(f, &Figures::cpu_per_request), "us", "", std::nullopt});
    uint64_t errors = 0;
    for (const Figures& r : f) errors += r.errors;
    report.inputs["errors"][key] = errors;
  }
  report.add_ratio("grpc_nginx_mean_over_fixnet", median_quotient(rounds[2], fixnet, &Figures::mean));
  report.add_ratio("grpc_mean_over_fixnet", median_quotient(rounds[1], fixnet, &Figures::mean));
  report.add_ratio("grpc_nginx_p99_over_fixnet", median_quotient(rounds[2], fixnet, &Figures::p99));
  report.targets.push_back({"mean_vs_grpc_sidecars", "grpc_nginx_mean_over_fixnet", 2.5, true});
  report.method = fmt::format(
      "examples/hotel/run --transport T --serve-loads for T = fixnet, grpc, grpc-nginx, all three deployed for the "
      "whole run; {} interleaved rounds (the order reversed every other round) of one {} s load at {} requests/s on "
      "each: hotel-load's open-loop latency (from when each request was due; DeathStarBench's mix) and the CPU time "
      "per request of every process the launcher started. Figures are medians over rounds, ratios medians of "
      "per-round quotients.",
      round_count, slice, rate);
  return report;
}

}  // namespace fixnet::bench
