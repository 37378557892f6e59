// Fuzzes the daemon's TOML policy file (fixnetd --config; src/rpc/policy_file.cc): the input is the
// file. Contract: read_policy_file throws InputError or returns policies that, written back as TOML
// (by toml++), read back to the same policies in the same order.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include <toml++/toml.h>

#include "core/error.h"
#include "rpc/policy_file.h"

namespace {

using fixnet::rpc::PolicySpec;

// A file holding `text` (in memory: /proc/self/fd/N of a memfd).
class MemoryFile {
 public:
  explicit MemoryFile(const std::string& text) : fd_(::memfd_create("policy.toml", 0)) {
    if (fd_ < 0 || ::write(fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) std::abort();
  }
  ~MemoryFile() { ::close(fd_); }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

std::vector<PolicySpec> read(const std::string& text) { return fixnet::rpc::read_policy_file(MemoryFile(text).path()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<PolicySpec> policies;
  try {
    policies = read(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const fixnet::InputError&) {
    return 0;
  }
  toml::array list;
  for (const auto& p : policies) list.push_back(toml::table{{"engine", p.engine}, {"config", p.config}});
  std::ostringstream text;
  text << toml::table{{"rpc", toml::table{{"policy", list}}}};
  const auto again = read(text.str());
  if (again.size() != policies.size()) std::abort();
  for (size_t i = 0; i < policies.size(); ++i)
    if (again[i].engine != policies[i].engine || again[i].config != policies[i].config) std::abort();
  return 0;
}
