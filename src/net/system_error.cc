#include "net/system_error.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace fixnet::net {

void throw_system_error(std::string_view call, std::string_view about) {
  const int saved = errno;
  throw EnvironmentError(fmt::format("{} failed for {}: {}", call, about, std::strerror(saved)));
}

}  // namespace fixnet::net
