// What a fuzz input may not do to the machine: a policy configuration naming a file (metrics
// trace=PATH) gets it inside one scratch directory instead of wherever the input says.
#pragma once

#include <cstdlib>
#include <string>

namespace fixnet::fuzz {

inline std::string contained(std::string config) {
  static const std::string dir = [] {
    std::string pattern = "/tmp/fixnet-policy-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    return pattern;
  }();
  for (size_t at = 0; (at = config.find("..", at)) != std::string::npos;) config.replace(at, 2, "__");
  for (size_t at = 0; (at = config.find("trace=", at)) != std::string::npos; at += 6) config.insert(at + 6, dir + "/");
  return config;
}

}  // namespace fixnet::fuzz
