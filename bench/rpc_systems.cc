#include "bench/rpc_systems.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>

#include "core/error.h"

namespace fixnet::bench {

namespace fs = std::filesystem;

namespace {

// fixnetd and the application executables are built beside fixnet.
std::string sibling(const std::string& name) {
  const fs::path path = fs::read_symlink("/proc/self/exe").parent_path() / name;
  if (!fs::exists(path))
    throw EnvironmentError(fmt::format("bench rpc needs {} beside fixnet (build it: ninja -C build {}); not found at {}",
                                       name, name, path.string()));
  return path.string();
}

constexpr uint32_t kMaxMessageBytes = 16 << 20;

std::string app() { return sibling("fixnet-rpc-bench-app"); }
std::string fixnet_app() { return sibling("fixnet-rpc-bench-fixnet-app"); }

ChildProcess& add(RpcSystem& system, const fs::path& dir, const std::string& what, std::vector<std::string> args) {
  system.processes.push_back(std::make_unique<ChildProcess>(what, std::move(args), dir / (what + ".log")));
  return *system.processes.back();
}

// "port N" from a serving application.
std::string port_of(ChildProcess& server) {
  const std::string line = server.read_line();
  if (line.rfind("port ", 0) != 0) throw EnvironmentError("bench rpc: a server said '" + line + "', not its port");
  return line.substr(5);
}

void await_ready(ChildProcess& process) {
  const std::string line = process.read_line();
  if (line != "ready") throw EnvironmentError("bench rpc: an application said '" + line + "', not ready");
}

// A directory of its own per row, open to the fixnetds (which run as nobody when we are root).
fs::path row_dir(const fs::path& dir, const std::string& key) {
  fs::permissions(dir, fs::perms::group_exec | fs::perms::others_exec, fs::perm_options::add);
  fs::create_directories(dir / key);
  fs::permissions(dir / key, fs::perms::all);
  return dir / key;
}

// One nginx: HTTP/2 (cleartext) on `port`, every request passed as gRPC to 127.0.0.1:`next`.
// Foreground, one process (no master), nothing outside its prefix `dir`.
void write_nginx_config(const fs::path& dir, uint16_t port, uint16_t next, const std::string& http = "",
                        const std::string& location = "") {
  fs::create_directories(dir / "tmp");
  std::ofstream(dir / "nginx.conf") << fmt::format(R"(daemon off;
master_process off;
worker_processes 1;
pid {0}/nginx.pid;
error_log {0}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {0}/tmp/body;
  proxy_temp_path {0}/tmp/proxy;
  fastcgi_temp_path {0}/tmp/fastcgi;
  uwsgi_temp_path {0}/tmp/uwsgi;
  scgi_temp_path {0}/tmp/scgi;
  client_max_body_size 0;
  http2_max_concurrent_streams 1024;
  {3}
  upstream next {{
    server 127.0.0.1:{2};
    keepalive 1024;
  }}
  server {{
    listen 127.0.0.1:{1} http2;
    location / {{ {4} grpc_pass grpc://next; }}
  }}
}}
)",
                                                   dir.string(), port, next, http, location);
}

}  // namespace

double RpcSystem::cpu_seconds() const {
  double sum = 0;
  for (const auto& p : processes) sum += p->cpu_seconds();
  return sum;
}

// A calling application straight to a serving one, over TCP: `kind` is raw-tcp or grpc.
std::unique_ptr<RpcSystem> start_direct(const fs::path& dir, const std::string& key, const std::string& kind) {
  auto system = std::make_unique<RpcSystem>(RpcSystem{key, {}});
  const fs::path d = row_dir(dir, key);
  const std::string port = port_of(add(*system, d, kind + "-server", {app(), "serve", kind}));
  await_ready(add(*system, d, kind + "-client", {app(), "call", kind, port}));
  return system;
}

std::unique_ptr<RpcSystem> start_raw_tcp(const fs::path& dir) { return start_direct(dir, "raw_tcp", "raw-tcp"); }

std::unique_ptr<RpcSystem> start_grpc(const fs::path& dir) { return start_direct(dir, "grpc", "grpc"); }

std::unique_ptr<RpcSystem> start_grpc_nginx(const fs::path& dir, const fs::path& nginx, const NginxPolicy& policy) {
  auto system = std::make_unique<RpcSystem>(RpcSystem{policy.key, {}});
  const fs::path d = row_dir(dir, system->key);
  const auto server = static_cast<uint16_t>(std::stoul(port_of(add(*system, d, "grpc-server", {app(), "serve", "grpc"}))));
  const uint16_t b = free_loopback_port(), a = free_loopback_port();
  for (const auto& [name, port, next] : {std::tuple{"nginx-b", b, server}, std::tuple{"nginx-a", a, b}}) {
    const fs::path prefix = d / name;
    const bool client_side = std::string(name) == "nginx-a";
    write_nginx_config(prefix, port, next, client_side ? policy.http : "", client_side ? policy.location : "");
    add(*system, d, name, {nginx.string(), "-p", prefix.string(), "-e", "stderr", "-c", (prefix / "nginx.conf").string(), "-q"});
    await_loopback_port(port, name);
  }
  await_ready(add(*system, d, "grpc-client", {app(), "call", "grpc", std::to_string(a)}));
  return system;
}

// A fixnetd of `system` in `d`, at socket d/NAME.sock, with `extra` options.
ChildProcess& add_fixnetd(RpcSystem& system, const fs::path& d, const std::string& name, std::vector<std::string> extra) {
  // The schema cache in the row's directory (fixnetd may run as nobody, whose $HOME is not its own).
  // Goodput's 8 MiB requests need a limit above 8 MiB once encoded, and heaps that hold the encoded
  // request and its decoded layout at once (as gRPC's 64 MB message limit in grpc_echo.cc).
  std::vector<std::string> args{sibling("fixnetd"), "--only", "rpc", "--socket", (d / (name + ".sock")).string(),
                                "--schema-cache", (d / "schema-cache").string(), "--max-message-bytes",
                                std::to_string(kMaxMessageBytes), "--send-heap-mib", "64", "--receive-heap-mib", "64",
                                "--log-level", "info", "--allow-uid", std::to_string(::getuid())};
  if (::getuid() == 0) args.insert(args.end(), {"--user", "nobody"});
  args.insert(args.end(), extra.begin(), extra.end());
  return add(system, d, name, std::move(args));
}

// The port number fixnetd logged after `label` ("tcp port", "grpc port").
std::string logged_port(const std::string& log, const std::string& label, const std::string& name) {
  std::smatch port;
  if (!std::regex_search(log, port, std::regex(label + R"( (\d+))")))
    throw EnvironmentError("bench rpc: " + name + " did not log its " + label + ": " + log);
  return port[1].str();
}

// `kind` is fixnet (the generated stubs) or fixnet-raw (raw bytes): the same two fixnetds either way.
std::unique_ptr<RpcSystem> start_fixnet(const fs::path& dir, const std::string& key, const std::string& kind) {
  auto system = std::make_unique<RpcSystem>(RpcSystem{key, {}});
  const fs::path d = row_dir(dir, system->key);
  const std::string log_b = add_fixnetd(*system, d, "fixnetd-b", {"--listen", "127.0.0.1:0"}).await_log("listening on ");
  const std::string port = logged_port(log_b, "tcp port", "fixnetd B");
  add_fixnetd(*system, d, "fixnetd-a", {"--peer", "127.0.0.1:" + port}).await_log("listening on ");
  await_ready(add(*system, d, kind + "-server", {fixnet_app(), "serve", kind, (d / "fixnetd-b.sock").string()}));
  await_ready(add(*system, d, kind + "-client", {fixnet_app(), "call", kind, (d / "fixnetd-a.sock").string()}));
  return system;
}

std::unique_ptr<RpcSystem> start_grpc_interop(const fs::path& dir) {
  auto system = std::make_unique<RpcSystem>(RpcSystem{"grpc_interop", {}});
  const fs::path d = row_dir(dir, system->key);
  const std::string log = add_fixnetd(*system, d, "fixnetd", {"--grpc-listen", "127.0.0.1:0"}).await_log("listening on ");
  const std::string port = logged_port(log, "grpc port", "fixnetd");
  await_ready(add(*system, d, "fixnet-server", {fixnet_app(), "serve", "fixnet", (d / "fixnetd.sock").string()}));
  await_ready(add(*system, d, "grpc-client", {app(), "call", "grpc", port}));
  return system;
}

std::unique_ptr<RpcSystem> start_fixnet(const fs::path& dir) { return start_fixnet(dir, "fixnet", "fixnet"); }

std::unique_ptr<RpcSystem> start_fixnet_raw(const fs::path& dir) { return start_fixnet(dir, "fixnet_raw", "fixnet-raw"); }

fs::path fixnet_caller_operator_socket(const fs::path& dir) { return dir / "fixnet" / "fixnetd-a.sock.ctl"; }

fs::path find_program(const std::string& name) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const fs::path candidate = fs::path(path.substr(start, end - start)) / name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

}  // namespace fixnet::bench
