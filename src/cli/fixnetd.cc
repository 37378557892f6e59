// fixnetd: the per-machine daemon (ARCHITECTURE.md §5). Only the `rpc` part exists so far, so it
// runs the managed RPC service (docs/rpc.md) until SIGTERM or SIGINT. It never runs as root: started
// as root it needs --user and drops to that user before touching anything. Logs go to stderr with
// levels; usage errors exit 2, other failures 1, each as one line.
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "core/error.h"
#include "net/log.h"
#include "rpc/policy_file.h"
#include "rpc/service.h"

namespace {

using fixnet::net::LogLevel;

fixnet::rpc::Service* running = nullptr;

void on_signal(int) {
  if (running != nullptr) running->stop();  // EventLoop::stop is async-signal-safe
}

void drop_privileges(const std::string& user) {
  if (::getuid() != 0) {
    if (!user.empty()) throw fixnet::InputError("--user needs fixnetd to be started as root");
    return;
  }
  if (user.empty())
    throw fixnet::InputError("refusing to run as root: pass --user NAME to run the service as that user");
  const passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) throw fixnet::InputError("no user named '" + fixnet::one_line(user) + "'");
  if (pw->pw_uid == 0) throw fixnet::InputError("--user must name a user other than root");
  if (::setgroups(0, nullptr) != 0 || ::setgid(pw->pw_gid) != 0 || ::setuid(pw->pw_uid) != 0)
    throw fixnet::EnvironmentError("cannot switch to user '" + user + "'");
}

int run(int argc, char** argv) {
  CLI::App app{"fixnetd: the fixnet daemon. Runs the managed RPC service.", "fixnetd"};
  std::string only = "rpc";
  fixnet::rpc::ServiceConfig config;
  std::string user;
  std::string runtime_mode = "shared";
  std::string log_level = "info";
  uint64_t spin_us = 200;
  uint64_t send_mib = 16, receive_mib = 16;
  app.add_option("--only", only, "Run only this part (rpc: the only part so far)")->check(CLI::IsMember({"rpc"}));
  app.add_option("--socket", config.socket, "Unix socket applications connect to")->required();
  app.add_option("--allow-uid", config.allowed_uids, "A uid allowed to connect (repeatable; default: our own)");
  app.add_option("--user", user, "Drop to this user when started as root");
  app.add_option("--runtime", runtime_mode, "Runtime threads: shared or dedicated (one per application)")
      ->check(CLI::IsMember({"shared", "dedicated"}));
  app.add_option("--runtime-threads", config.runtime.threads, "Threads of the shared runtime")
      ->check(CLI::Range(1, 256));
  app.add_option("--spin-us", spin_us, "Busy-poll this long after the last work before sleeping");
  app.add_option("--transport", config.transport, "Transport engine: echo, or a plugin .so path");
  app.add_option("--listen", config.listen,
                 "Accept peer services on this TCP HOST:PORT (port 0: any) for serving applications (rpc::Server)");
  app.add_option("--peer", config.peer,
                 "Send applications' calls to the service at this TCP HOST:PORT (those of services without a --route)")
      ->excludes("--transport");
  std::vector<std::string> routes;
  app.add_option("--route", routes,
                 "SERVICE=HOST:PORT: send calls to this proto service (e.g. hotel.Geo) to the service there (repeatable)");
  app.add_option("--grpc-listen", config.grpc_listen,
                 "Accept ordinary gRPC clients on this HOST:PORT (port 0: any) for serving applications");
  app.add_option("--grpc-peer", config.grpc_peer,
                 "Send applications' calls to the ordinary gRPC server at this HOST:PORT")
      ->excludes("--transport")
      ->excludes("--peer");
  app.add_option("--schema-cache", config.schema_cache,
                 "Compiled marshallers of RPC schemas (default $FIXNET_SCHEMA_CACHE, else ~/.cache/fixnet/rpc-schemas; "
                 "fill it ahead with `fixnet rpc register`)");
  app.add_option("--uncached-schemas-per-minute", config.compile_limits.per_uid_per_minute,
                 "Distinct unregistered schemas one uid may have compiled per minute (default 8)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  app.add_option("--compile-queue", config.compile_limits.max_waiting,
                 "Distinct unregistered schemas that may wait for the one compiling (default 16)")
      ->check(CLI::Range(size_t{0}, size_t{1} << 20));
  app.add_option("--send-heap-mib", send_mib, "Each application's send heap")->check(CLI::Range(1, 4096));
  app.add_option("--receive-heap-mib", receive_mib, "Each application's receive heap")->check(CLI::Range(1, 4096));
  app.add_option("--queue-slots", config.queue_slots, "Slots per descriptor queue (a power of two)");
  app.add_option("--max-message-bytes", config.max_message_bytes, "Longest request accepted");
  app.add_option("--ctl-socket", config.ctl_socket,
                 "Operator socket for `fixnet rpc ctl` (default: SOCKET.ctl; mode 0600, our uid or root only)");
  std::string config_file;
  app.add_option("--config", config_file,
                 "TOML file: policies attached to every application ([[rpc.policy]]), routes ([[rpc.route]])")
      ->check(CLI::ExistingFile);
  app.add_option("--metrics", config.metrics, "Serve Prometheus text at http://HOST:PORT/metrics (port 0: any)");
  app.add_option("--log-level", log_level, "error, warning, info or debug")
      ->check(CLI::IsMember({"error", "warning", "info", "debug"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::fprintf(stderr, "fixnetd: %s (see `fixnetd --help`)\n", e.what());
    return 2;
  }
  fixnet::net::set_log_level(*fixnet::net::parse_log_level(log_level));
  config.runtime.mode = runtime_mode == "dedicated" ? fixnet::rpc::RuntimeOptions::Mode::kDedicated
                                                    : fixnet::rpc::RuntimeOptions::Mode::kShared;
  config.runtime.spin = std::chrono::microseconds(spin_us);
  if (!config_file.empty()) {
    auto file = fixnet::rpc::read_config_file(config_file);
    config.policies = std::move(file.policies);
    config.routes = std::move(file.routes);
  }
  for (const auto& route : routes) config.routes.push_back(fixnet::rpc::parse_route(route));
  [[maybe_unused]] const fixnet::rpc::CallRoutes checked(config.routes, config.peer);  // refused before anything starts
  config.send_heap_bytes = send_mib << 20;
  config.receive_heap_bytes = receive_mib << 20;

  drop_privileges(user);
  fixnet::rpc::Service service(std::move(config));
  running = &service;
  struct sigaction action {};
  action.sa_handler = on_signal;
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  fixnet::net::log(LogLevel::kInfo, "fixnetd", "running as uid {} (pid {})", ::getuid(), ::getpid());
  service.run();
  running = nullptr;
  fixnet::net::log(LogLevel::kInfo, "fixnetd", "stopping");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::string line = e.what();
    for (char& ch : line)
      if (ch == '\n') ch = ' ';
    std::fprintf(stderr, "fixnetd: %s\n", line.c_str());
    return 1;
  }
}
