#include "net/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

namespace fixnet::net {

namespace {

std::atomic<int> threshold{static_cast<int>(LogLevel::kInfo)};
std::mutex output;
constexpr std::string_view kNames[] = {"error", "warning", "info", "debug"};

}  // namespace

void set_log_level(LogLevel level) { threshold.store(static_cast<int>(level)); }

bool log_enabled(LogLevel level) { return static_cast<int>(level) <= threshold.load(std::memory_order_relaxed); }

std::optional<LogLevel> parse_log_level(std::string_view text) {
  for (int i = 0; i < 4; ++i)
    if (text == kNames[i]) return static_cast<LogLevel>(i);
  return std::nullopt;
}

void log_line(LogLevel level, std::string_view component, std::string_view message) {
  std::string line = fmt::format("{} {}: {}\n", kNames[static_cast<int>(level)], component, message);
  std::lock_guard lock(output);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace fixnet::net
