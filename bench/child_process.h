// A process that a benchmark starts and talks to (bench/rpc_bench.cc): fork + exec, its stdin and
// stdout as pipes (line commands and answers), its stderr into a log file; its CPU time from /proc.
// The destructor ends it (SIGTERM, then SIGKILL after two seconds) and reaps it, so a benchmark that
// throws leaves no process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace fixnet::bench {

class ChildProcess {
 public:
  // Starts args[0] (a path) with args; `what` names it in errors. Throws EnvironmentError.
  ChildProcess(std::string what, std::vector<std::string> args, std::filesystem::path log);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void write_line(const std::string& line);
  // The next line of its stdout. Throws EnvironmentError (with the end of its log) when it ends or
  // says nothing for `timeout`.
  std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Waits until its log contains `text`; returns the log. Throws like read_line.
  std::string await_log(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  pid_t pid() const { return pid_; }
  // utime + stime of all its threads so far, in seconds.
  double cpu_seconds() const;
  std::string log() const;

 private:
  [[noreturn]] void fail(const std::string& why) const;

  std::string what_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  std::string buffered_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (for programs that must be told their port).
uint16_t free_loopback_port();
// Waits until something accepts connections on 127.0.0.1:port. Throws EnvironmentError naming `what`.
void await_loopback_port(uint16_t port, const std::string& what);

}  // namespace fixnet::bench
