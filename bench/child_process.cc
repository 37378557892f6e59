#include "bench/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "net/tcp.h"

namespace fixnet::bench {

namespace {

using Clock = std::chrono::steady_clock;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

ChildProcess::ChildProcess(std::string what, std::vector<std::string> args, std::filesystem::path log)
    : what_(std::move(what)), log_(std::move(log)) {
  int to_child[2], from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0)
    throw EnvironmentError(fmt::format("cannot make pipes for {}: {}", what_, std::strerror(errno)));
  const int log_fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(to_child[0], 0);
    ::dup2(from_child[1], 1);
    if (log_fd >= 0) ::dup2(log_fd, 2);
    ::execv(argv[0], argv.data());
    std::fprintf(stderr, "cannot run %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  if (log_fd >= 0) ::close(log_fd);
  in_ = to_child[1];
  out_ = from_child[0];
  if (pid_ < 0) throw EnvironmentError(fmt::format("cannot fork {}: {}", what_, std::strerror(errno)));
}

ChildProcess::~ChildProcess() {
  if (in_ >= 0) ::close(in_);
  if (out_ >= 0) ::close(out_);
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(2);
  int status;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void ChildProcess::write_line(const std::string& line) {
  const std::string text = line + "\n";
  size_t at = 0;
  while (at < text.size()) {
    const ssize_t n = ::write(in_, text.data() + at, text.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(fmt::format("cannot write to it: {}", std::strerror(errno)));
    at += static_cast<size_t>(n);
  }
}

std::string ChildProcess::read_line(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    const size_t end = buffered_.find('\n');
    if (end != std::string::npos) {
      std::string line = buffered_.substr(0, end);
      buffered_.erase(0, end + 1);
      if (line.rfind("error ", 0) == 0) fail(line.substr(6));
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) fail(fmt::format("no answer within {} s", timeout.count() / 1000.0));
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[65536];
    const ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("it exited");
    buffered_.append(chunk, static_cast<size_t>(n));
  }
}

std::string ChildProcess::await_log(const std::string& text, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    std::string log = this->log();
    if (log.find(text) != std::string::npos) return log;
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      fail("it exited");
    }
    if (Clock::now() > deadline) fail(fmt::format("its log did not say '{}'", text));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// The process's CPU clock (all its threads, to the nanosecond): /proc/PID/stat counts in clock ticks
// (10 ms), more than a short run's whole CPU time, so a quick run could read 0.
double ChildProcess::cpu_seconds() const {
  clockid_t clock;
  timespec t{};
  if (const int e = ::clock_getcpuclockid(pid_, &clock); e != 0) fail(fmt::format("no CPU clock: {}", std::strerror(e)));
  if (::clock_gettime(clock, &t) != 0) fail(fmt::format("cannot read its CPU clock: {}", std::strerror(errno)));
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

std::string ChildProcess::log() const { return read_file(log_); }

void ChildProcess::fail(const std::string& why) const {
  std::string tail = log();
  if (tail.size() > 2000) tail = "…" + tail.substr(tail.size() - 2000);
  throw EnvironmentError(fmt::format("bench rpc: {} (pid {}): {}{}{}", what_, pid_, why,
                                     tail.empty() ? "" : "; its log ends: ", tail));
}

uint16_t free_loopback_port() {
  return net::bound_port(net::tcp_listen(net::parse_tcp_address("127.0.0.1:0")).get());
}

void await_loopback_port(uint16_t port, const std::string& what) {
  const sockaddr_in address = net::parse_tcp_address(fmt::format("127.0.0.1:{}", port)).ip;
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    if (ok) return;
    if (Clock::now() > deadline)
      throw EnvironmentError(fmt::format("bench rpc: {} does not accept on 127.0.0.1:{}", what, port));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace fixnet::bench
