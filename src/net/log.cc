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

#ifdef FIXNET_RPC_PLUGIN
// A copy of this file inside an RPC engine plugin (rpc/engine.h, FIXNET_RPC_PLUGIN_LOG_ENTRY): the
// service hands it its threshold and its line writer when it loads the plugin, so the plugin logs
// at fixnetd's --log-level, through fixnetd's lock (lines never interleave).
void (*host_line)(int, const char*, size_t, const char*, size_t) = nullptr;
#endif

}  // namespace

#ifdef FIXNET_RPC_PLUGIN
extern "C" __attribute__((visibility("default"))) void fixnet_rpc_plugin_use_host_log(
    int level, void (*line)(int, const char*, size_t, const char*, size_t)) {
  threshold.store(level);
  host_line = line;
}
#endif

void set_log_level(LogLevel level) { threshold.store(static_cast<int>(level)); }

LogLevel log_level() { return static_cast<LogLevel>(threshold.load()); }

bool log_enabled(LogLevel level) { return static_cast<int>(level) <= threshold.load(std::memory_order_relaxed); }

std::optional<LogLevel> parse_log_level(std::string_view text) {
  for (int i = 0; i < 4; ++i)
    if (text == kNames[i]) return static_cast<LogLevel>(i);
  return std::nullopt;
}

void log_line(LogLevel level, std::string_view component, std::string_view message) {
#ifdef FIXNET_RPC_PLUGIN
  if (host_line != nullptr)
    return host_line(static_cast<int>(level), component.data(), component.size(), message.data(), message.size());
#endif
  std::string line = fmt::format("{} {}: {}\n", kNames[static_cast<int>(level)], component, message);
  std::lock_guard lock(output);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace fixnet::net
