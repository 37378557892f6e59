// The name of the proto service an application calls or serves (docs/rpc.md, "Routing by service"):
// its full name, e.g. `hotel.Geo`, or empty for a raw-bytes application (no routing by name). It
// travels in the app→service Hello and in the TCP Hello frame, and names routes (fixnetd --route).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"

namespace fixnet::rpc {

inline constexpr size_t kMaxServiceName = 256;

// Throws InputError naming `what` unless `name` is empty or a proto full name: at most
// kMaxServiceName bytes of letters, digits, '_' and '.' (what protoc accepts, so no spaces, and
// text for logs and engine configs as it is).
inline void check_service_name(std::string_view name, std::string_view what) {
  if (name.size() > kMaxServiceName)
    throw InputError(std::string(what) + ": service name of " + std::to_string(name.size()) +
                     " bytes is longer than " + std::to_string(kMaxServiceName));
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    if (!ok)
      throw InputError(std::string(what) + ": service name '" + std::string(name.substr(0, 64)) +
                       "' is not a proto full name (letters, digits, '_' and '.', e.g. hotel.Geo)");
  }
}

}  // namespace fixnet::rpc
