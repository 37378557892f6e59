// Logging with levels for services: one line per event on stderr, "LEVEL component: message".
// Thread-safe (lines never interleave). The threshold is process-wide, set once at start.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string_view>

namespace fixnet::net {

enum class LogLevel { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

void set_log_level(LogLevel level);
LogLevel log_level();
bool log_enabled(LogLevel level);
// "error", "warning", "info", "debug"; nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view text);
void log_line(LogLevel level, std::string_view component, std::string_view message);

template <typename... Args>
void log(LogLevel level, std::string_view component, fmt::format_string<Args...> format, Args&&... args) {
  if (log_enabled(level)) log_line(level, component, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace fixnet::net
