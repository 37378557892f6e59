// `fixnet bench hotel` (issue 6, "A real microservice application"): the hotel-reservation application
// (examples/hotel) end to end at one fixed request rate on three transports, each started fresh by
// its launcher (`examples/hotel/run --transport T --load RATE SECONDS`), one after the other in this
// run: fixnet (two fixnetds, one per machine, routing by service, with hotel-policies.toml's acl and
// rate limit), gRPC direct, and gRPC through two nginx sidecars per call. The figures are the
// launcher's load generator's (hotel-load: open loop, latency from when each request was due) and
// the CPU time per request of every process it started; this file only runs and reads them.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <string>

#include "bench/harness.h"
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

// Everything the launcher printed (stdout and stderr) and its exit code.
std::pair<int, std::string> run_launcher(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw EnvironmentError("bench hotel: cannot start " + command);
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

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

}  // namespace

Report hotel_benchmark(const Options& options) {
  Report report;
  const double rate = options.quick ? 50 : 200;
  const double seconds = options.quick ? 2 : 10 * options.seconds;  // per transport
  const fs::path build = fs::read_symlink("/proc/self/exe").parent_path();
  const fs::path launcher = FIXNET_HOTEL_RUN;
  report.inputs["rate"] = rate;
  report.inputs["seconds"] = seconds;
  report.inputs["launcher"] = launcher.string();
  if (!fs::exists(launcher) || !fs::exists(build / "examples/hotel/hotel-fixnet")) {
    report.not_measured.emplace_back("hotel", "needs the source tree's examples/hotel/run and the build's "
                                              "examples/hotel programs (./scripts/build), not found at " +
                                                  launcher.string());
    return report;
  }
  std::map<std::string, Figures> figures;
  for (const Transport& t : kTransports) {
    progress(fmt::format("hotel: {} at {} requests/s for {} s", t.name, rate, seconds));
    const auto [code, output] = run_launcher(fmt::format("'{}' --transport {} --load {} {} --build '{}'", launcher.string(),
                                                         t.name, rate, seconds, build.string()));
    figures[t.key] = parse(t.name, output);
    if (code != 0 && figures[t.key].errors == 0)
      throw EnvironmentError(fmt::format("bench hotel: the {} run failed (exit {}): {}", t.name, code, one_line(output, 400)));
  }
  const Figures& fixnet = figures.at("fixnet");
  for (const Transport& t : kTransports) {
    const Figures& f = figures.at(t.key);
    const bool base = std::string(t.key) == "fixnet";
    const std::string key = t.key;
    report.add({key + "_mean", f.mean, "us", base ? "" : "fixnet_mean", base ? std::nullopt : std::optional(f.mean / fixnet.mean)});
    report.add({key + "_p50", f.p50, "us", base ? "" : "fixnet_p50", base ? std::nullopt : std::optional(f.p50 / fixnet.p50)});
    report.add({key + "_p99", f.p99, "us", base ? "" : "fixnet_p99", base ? std::nullopt : std::optional(f.p99 / fixnet.p99)});
    report.add({key + "_cpu_per_request", f.cpu_per_request, "us", "", std::nullopt});
    report.inputs["errors"][key] = f.errors;
  }
  report.add_ratio("grpc_nginx_mean_over_fixnet", figures.at("grpc_nginx").mean / fixnet.mean);
  report.add_ratio("grpc_mean_over_fixnet", figures.at("grpc").mean / fixnet.mean);
  report.add_ratio("grpc_nginx_p99_over_fixnet", figures.at("grpc_nginx").p99 / fixnet.p99);
  report.targets.push_back({"mean_vs_grpc_sidecars", "grpc_nginx_mean_over_fixnet", 2.5, true});
  report.method = fmt::format(
      "examples/hotel/run --transport T --load {} {} for T = fixnet, grpc, grpc-nginx, one after the other, each "
      "freshly started: hotel-load's open-loop latency (from when each request was due; DeathStarBench's mix) and the "
      "CPU time per request of every process the launcher started",
      rate, seconds);
  return report;
}

}  // namespace fixnet::bench
