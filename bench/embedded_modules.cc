// Lookup in the generated table of embedded example procedures.
#include "bench/embedded_modules.h"

#include <fmt/format.h>

#include "core/error.h"

namespace fixnet::bench {

std::string_view embedded_module(std::string_view name) {
  for (const EmbeddedModule& m : embedded_modules())
    if (m.name == name) return m.bytes;
  throw Error(fmt::format("this fixnet binary carries no example procedure '{}'", name));
}

}  // namespace fixnet::bench
