#include "bench/temp_dir.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace fixnet::bench {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "fixnet-bench-XXXXXX").string();
  if (!::mkdtemp(pattern.data()))
    throw EnvironmentError(
        fmt::format("cannot make a temporary directory {}: {}", pattern, std::strerror(errno)));
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace fixnet::bench
