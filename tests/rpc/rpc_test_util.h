// Helpers for the end-to-end RPC tests: a real fixnetd process (fork/exec of FIXNETD_BINARY, as
// user nobody when the tests run as root, so the service is never root), its CPU time, the shared
// memory and fds it holds, and client processes.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "net/unix_control.h"
#include "rpc/marshaller.h"
#include "rpc/schema.h"

namespace fixnet::rpc::testing {

namespace fs = std::filesystem;

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A new empty directory under the system's temporary one (the caller removes it).
inline fs::path temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "fixnet-rpc-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
  return pattern;
}

class ServiceProcess {
 public:
  // allow_tests: the uid running the tests may connect (otherwise only the service's own uid).
  explicit ServiceProcess(std::vector<std::string> extra = {}, bool allow_tests = true) {
    dir_ = temp_dir();
    fs::permissions(dir_, fs::perms::all);  // the service runs as nobody
    socket_ = dir_ / "rpc.sock";
    std::vector<std::string> args{FIXNETD_BINARY, "--only", "rpc", "--socket", socket_.string()};
    const auto level = std::find(extra.begin(), extra.end(), "--log-level");
    if (level == extra.end()) args.insert(args.end(), {"--log-level", "debug"});  // debug unless told
    // Below info fixnetd does not say it listens: its operator socket taking a connection says it
    // (it is bound after the application socket, which then listens).
    const bool quiet = level != extra.end() && level + 1 != extra.end() && (level[1] == "warning" || level[1] == "error");
    if (::getuid() == 0) args.insert(args.end(), {"--user", "nobody"});
    if (allow_tests) args.insert(args.end(), {"--allow-uid", std::to_string(::getuid())});
    args.insert(args.end(), extra.begin(), extra.end());
    log_ = dir_ / "fixnetd.log";
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    // The socket file appears at bind(), a moment before listen(): wait for the service's own word
    // that it listens (logged once both the Unix socket and any TCP listener are ready).
    auto ready = [&] {
      if (!fs::exists(socket_)) return false;
      if (!quiet) return read_text(log_).find("listening on ") != std::string::npos;
      try {
        net::UnixControl::connect(socket_.string() + ".ctl");
        return true;
      } catch (const std::exception&) {
        return false;
      }
    };
    while (!ready()) {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("fixnetd exited at start: " + read_text(log_));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);  // not left behind holding the test's output
        ::waitpid(pid_, &status, 0);
        throw std::runtime_error("fixnetd did not start");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~ServiceProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  const fs::path& socket() const { return socket_; }
  pid_t pid() const { return pid_; }
  bool alive() const { return pid_ > 0 && ::kill(pid_, 0) == 0 && !zombie(); }
  std::string log() const { return read_text(log_); }

  // utime + stime of the whole service process, in seconds.
  double cpu_seconds() const {
    std::istringstream stat(read_text(fs::path("/proc") / std::to_string(pid_) / "stat"));
    std::string field;
    std::vector<std::string> fields;
    while (stat >> field) fields.push_back(field);
    return (std::stod(fields.at(13)) + std::stod(fields.at(14))) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  // Mappings of any connection's shared memory (memfd:fixnet-rpc-…).
  int shared_mappings() const {
    std::istringstream maps(read_text(fs::path("/proc") / std::to_string(pid_) / "maps"));
    int n = 0;
    for (std::string line; std::getline(maps, line);) n += line.find("memfd:fixnet-rpc-") != std::string::npos;
    return n;
  }
  int open_fds() const {
    int n = 0;
    for ([[maybe_unused]] auto& e : fs::directory_iterator(fs::path("/proc") / std::to_string(pid_) / "fd")) ++n;
    return n;
  }
  // Polls `condition` for up to `limit` (5 s unless told: compiles take longer).
  static bool eventually(const std::function<bool()>& condition,
                         std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

 private:
  bool zombie() const {
    const std::string stat = read_text(fs::path("/proc") / std::to_string(pid_) / "stat");
    const auto close = stat.rfind(')');
    return close == std::string::npos || stat.substr(close + 2, 1) == "Z";
  }

  fs::path dir_, socket_, log_;
  pid_t pid_ = -1;
};

// The tests' schema cache with the marshallers of the examples' and the tests' schemas, filled by this
// (trusted) process, so the services started with `--schema-cache` only load.
inline fs::path schema_cache() {
  static const fs::path dir = [] {
    const fs::path d = fs::path(FIXNET_TEST_CACHE_DIR) / "rpc-schemas";
    const fs::path source = FIXNET_SOURCE_DIR;
    MarshallerCache cache(d);
    for (const auto& proto : {source / "examples/rpc/echo.proto", source / "examples/rpc/kv.proto",
                              source / "tests/rpc/schemas/all_types.proto"})
      cache.ensure(*Schema::parse(proto));
    return d;
  }();
  return dir;
}

// The TCP port a service listening on port 0 got (from its log).
inline uint16_t tcp_port(const ServiceProcess& service) {
  std::string log;
  EXPECT_TRUE(ServiceProcess::eventually([&] {
    log = service.log();
    return log.find("(tcp port ") != std::string::npos;
  }));
  return static_cast<uint16_t>(std::stoi(log.substr(log.find("(tcp port ") + 10)));
}

// Runs a shell command line; its exit code and what it wrote to stdout and stderr.
struct ProgramResult {
  int exit_code;
  std::string output;
};
inline ProgramResult run_program(const std::string& command_line) {
  ProgramResult r{-1, {}};
  FILE* pipe = ::popen((command_line + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) r.output.append(buffer, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs `body` in a forked child process; its exit code is 0 when body returns true.
inline pid_t spawn(const std::function<bool()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    bool ok = false;
    try {
      ok = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "client process: %s\n", e.what());
    }
    ::_exit(ok ? 0 : 1);
  }
  return pid;
}

inline bool exited_ok(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// `size` bytes that depend on `seed`: what echo tests send.
inline std::vector<uint8_t> pattern(size_t size, uint64_t seed) {
  std::vector<uint8_t> bytes(size);
  std::mt19937_64 random(seed);
  for (auto& b : bytes) b = static_cast<uint8_t>(random());
  return bytes;
}

// Whether calling `method` (an echo) with a pattern of `size` bytes gives the same bytes back.
template <class Client>
bool echoes(Client& client, uint32_t method, size_t size, uint64_t seed) {
  const auto request = pattern(size, seed);
  auto reply = client.call(method, request);
  return reply.ok() && reply.bytes().size() == size && std::memcmp(reply.bytes().data(), request.data(), size) == 0;
}

}  // namespace fixnet::rpc::testing
