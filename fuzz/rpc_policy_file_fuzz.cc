// Fuzzes the daemon's TOML configuration file (fixnetd --config; src/rpc/policy_file.cc): the input is
// the file. Contract: read_config_file throws InputError or returns policies and routes that, written
// back as TOML (by toml++), read back to the same ones in the same order.
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

using fixnet::rpc::ConfigFile;

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

ConfigFile read(const std::string& text) { return fixnet::rpc::read_config_file(MemoryFile(text).path()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ConfigFile config;
  try {
    config = read(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const fixnet::InputError&) {
    return 0;
  }
  toml::array policies, routes;
  for (const auto& p : config.policies) policies.push_back(toml::table{{"engine", p.engine}, {"config", p.config}});
  for (const auto& r : config.routes) routes.push_back(toml::table{{"service", r.service}, {"peer", r.address}});
  std::ostringstream text;
  text << toml::table{{"rpc", toml::table{{"policy", policies}, {"route", routes}}}};
  const ConfigFile again = read(text.str());
  if (again.policies.size() != config.policies.size() || again.routes.size() != config.routes.size()) std::abort();
  for (size_t i = 0; i < config.policies.size(); ++i)
    if (again.policies[i].engine != config.policies[i].engine || again.policies[i].config != config.policies[i].config)
      std::abort();
  for (size_t i = 0; i < config.routes.size(); ++i)
    if (again.routes[i].service != config.routes[i].service || again.routes[i].address != config.routes[i].address) std::abort();
  return 0;
}
