// fixnet-rpc-bench-app: a serving or calling application of `fixnet bench rpc` (see bench_app.h).
//   fixnet-rpc-bench-app serve raw-tcp|grpc | serve fixnet SOCKET
//   fixnet-rpc-bench-app call raw-tcp|grpc PORT | call fixnet SOCKET
#include <chrono>
#include <cstdio>
#include <iostream>
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

int run(const std::vector<std::string>& args) {
  if (args.size() >= 2 && args[0] == "serve") {
    if (args[1] == "raw-tcp") return serve_raw_tcp();
    if (args[1] == "grpc") return serve_grpc();
    if (args[1] == "fixnet" && args.size() == 3) return serve_fixnet(args[2]);
  }
  if (args.size() == 3 && args[0] == "call") {
    std::unique_ptr<Caller> caller;
    if (args[1] == "raw-tcp") caller = raw_tcp_caller(static_cast<uint16_t>(std::stoul(args[2])));
    if (args[1] == "grpc") caller = grpc_caller(static_cast<uint16_t>(std::stoul(args[2])));
    if (args[1] == "fixnet") caller = fixnet_caller(args[2]);
    if (caller) {
      obey(*caller);
      return 0;
    }
  }
  std::cerr << "usage: fixnet-rpc-bench-app serve raw-tcp|grpc | serve fixnet SOCKET | call raw-tcp|grpc PORT | "
               "call fixnet SOCKET (run by `fixnet bench rpc`)\n";
  return 2;
}

}  // namespace
}  // namespace fixnet::bench::rpc_app

int main(int argc, char** argv) {
  try {
    return fixnet::bench::rpc_app::run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const std::exception& e) {
    std::cout << "error " << e.what() << std::endl;
    return 1;
  }
}
