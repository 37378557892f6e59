// The command line and command loop both application executables of `fixnet bench rpc` share
// (bench_app.h): `serve KIND [ARG]` or `call KIND ARG`, KIND one of the executable's kinds.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "bench/rpc_apps/bench_app.h"

namespace fixnet::bench::rpc_app {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Answers the parent's commands until stdin closes.
void obey(Caller& caller) {
  for (int i = 0; i < 100; ++i) caller.call(64);  // warm: connections, allocators, caches
  std::cout << "ready" << std::endl;
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream in(line);
    std::string what;
    size_t size = 0;
    in >> what >> size;
    if (what == "latency") {
      double seconds = 0;
      in >> seconds;
      std::vector<uint64_t> ns;
      const Clock::time_point start = Clock::now();
      do {
        const Clock::time_point t0 = Clock::now();
        caller.call(size);
        ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
      } while (since(start) < seconds);
      std::ostringstream out;
      out << "latency " << ns.size();
      for (uint64_t v : ns) out << ' ' << v;
      std::cout << out.str() << std::endl;
    } else if (what == "rate") {
      size_t outstanding = 0;
      double seconds = 0;
      in >> outstanding >> seconds;
      const Clock::time_point start = Clock::now();
      const uint64_t calls = caller.pipelined(size, outstanding, seconds);
      std::cout << "rate " << calls << ' ' << since(start) << std::endl;
    } else if (what == "timeline") {
      size_t outstanding = 0;
      double seconds = 0, bucket_ms = 0;
      in >> outstanding >> seconds >> bucket_ms;
      uint64_t failed = 0;
      const auto buckets = caller.timeline(size, outstanding, seconds, bucket_ms / 1e3, failed);
      std::ostringstream out;
      out << "timeline " << failed << ' ' << buckets.size();
      for (uint64_t b : buckets) out << ' ' << b;
      std::cout << out.str() << std::endl;
    } else if (what == "goodput") {
      double seconds = 0;
      in >> seconds;
      uint64_t calls = 0;
      const Clock::time_point start = Clock::now();
      do {
        caller.call(size);
        ++calls;
      } while (since(start) < seconds);
      std::cout << "goodput " << calls << ' ' << since(start) << std::endl;
    } else {
      throw std::runtime_error("unknown command: " + line);
    }
  }
}

int run(const std::vector<std::string>& args, std::span<const AppKind> kinds) {
  for (const AppKind& kind : kinds) {
    if (args.size() < 2 || args[1] != kind.name) continue;
    const std::string arg = args.size() == 3 ? args[2] : "";
    if (args[0] == "serve" && args.size() == (kind.serve_takes_arg ? 3u : 2u)) return kind.serve(arg);
    if (args[0] == "call" && args.size() == 3) {
      obey(*kind.call(arg));
      return 0;
    }
  }
  return -1;
}

}  // namespace

int app_main(int argc, char** argv, std::span<const AppKind> kinds, const char* usage) {
  try {
    const int code = run(std::vector<std::string>(argv + 1, argv + argc), kinds);
    if (code >= 0) return code;
    std::cerr << "usage: " << usage << " (run by `fixnet bench rpc`)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cout << "error " << e.what() << std::endl;
    return 1;
  }
}

}  // namespace fixnet::bench::rpc_app
