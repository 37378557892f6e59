// fixnet bench NAME: run one side-by-side benchmark (bench/) and print its table or JSON.
#include <fmt/format.h>

#include "bench/bench.h"
#include "cli/command.h"

namespace fixnet::cli {
namespace {

std::string benchmark_list() {
  std::string out;
  for (const auto& b : bench::benchmarks()) out += fmt::format("  {:<10} {}\n", b.name, b.description);
  return out;
}

CommandSetup setup(CLI::App& parent) {
  CLI::App* app = add_command(
      parent, "bench",
      "Measure a part of fixnet and its baselines side by side in one run and print the ratios "
      "(no repository needed; figures and keys in docs/performance.md). Benchmarks:\n" +
          benchmark_list(),
      "  fixnet bench hash\n  fixnet bench eval --quick\n  fixnet bench store --seconds 3 --json");
  auto name = std::make_shared<std::string>();
  auto options = std::make_shared<bench::Options>();
  app->add_option("NAME", *name, "Which benchmark")->required()->check(CLI::IsMember(bench::names()));
  app->add_flag("--json", options->json, "Print one JSON object instead of the table");
  app->add_option("--seconds", options->seconds, "Minimum measured time of each measurement")
      ->check(CLI::Range(0.01, 3600.0));
  app->add_option("--threads", options->threads, "Threads for the multi-threaded rows (default: one per core)")
      ->check(CLI::Range(1, 1024));
  app->add_flag("--quick", options->quick, "Small inputs: checks the benchmark runs, not figures to quote");
  return {app, [name, options](Session&) { return bench::run(*name, *options); }};
}

}  // namespace
FIXNET_COMMAND(120, setup);
}  // namespace fixnet::cli
