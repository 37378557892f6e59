// Which applications with an uncached schema may make the service compile a marshaller (docs/rpc.md,
// "The schema cache"). A compile is seconds of CPU an application can ask for with one Hello, so:
// each peer uid may bring at most `per_uid_per_minute` distinct uncached schemas in any 60 seconds,
// and at most `max_waiting` distinct schemas may wait behind the one compiling (the service compiles
// one at a time). Registered schemas (`fixnet rpc register`) are in the cache and never come here.
//
// Owned by the service's control thread; not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace fixnet::rpc {

struct CompileLimits {
  size_t per_uid_per_minute = 8;  // distinct uncached schemas one uid may have compiled per minute
  size_t max_waiting = 16;        // distinct schemas waiting for the one compiling
};

class CompileAdmission {
 public:
  using Clock = std::chrono::steady_clock;
  explicit CompileAdmission(CompileLimits limits) : limits_(limits) {}

  // Whether `uid` may have `schema` (its hash) compiled, with `waiting` distinct schemas already
  // waiting for the compiler: nullopt if so (and it is counted against the uid), else the reason to
  // refuse the connect with (one line, under 200 bytes, naming the fix).
  std::optional<std::string> admit(uid_t uid, const std::string& schema, size_t waiting, Clock::time_point now);

 private:
  struct Admitted {
    Clock::time_point at;
    std::string schema;
  };
  CompileLimits limits_;
  std::map<uid_t, std::deque<Admitted>> recent_;  // per uid: admissions of the last minute, oldest first
};

}  // namespace fixnet::rpc
