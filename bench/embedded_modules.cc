// Lookup in the generated table of embedded example procedures.
#include "bench/embedded_modules.h"

#include <fmt/format.h>

#include "core/error.h"

namespace fixnet::bench {

std::string_view embedded_module(std::string_view name, const std::vector<EmbeddedModule>& list) {
  for (const EmbeddedModule& m : list)
    if (m.name == name) return m.bytes;
  throw Error(fmt::format("this fixnet binary carries no embedded module or program '{}'", name));
}

}  // namespace fixnet::bench
