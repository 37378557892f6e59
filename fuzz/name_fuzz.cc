// Fuzzes Name parsing (src/core/name.h): Name::from_bytes on raw bytes and Name::from_hex on text.
// Contract checked: invalid input throws InputError (one line), never anything else; a Name that
// parses round-trips through hex(), and asking it anything (kind, size, roles) is safe.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "core/error.h"
#include "core/name.h"

namespace {

using fixnet::InputError;
using fixnet::Name;

void exercise(Name n) {
  if (Name::from_hex(n.hex()) != n) std::abort();
  if (Name::from_bytes(n.bytes(), "round trip") != n) std::abort();
  (void)fixnet::kind_name(n.kind());
  (void)n.size();
  (void)n.short_hex();
  if (n.is_literal() && n.literal_bytes().size() != n.size()) std::abort();
  if (n.is_literal() && Name::blob_name(n.literal_bytes()) != n.content_name()) std::abort();
  // Every role change either gives a valid Name or refuses with InputError.
  for (auto role :
       {&Name::application, &Name::identification, &Name::selection, &Name::strict, &Name::shallow,
        &Name::as_ref, &Name::unref, &Name::thunk, &Name::content_name}) {
    try {
      Name derived = (n.*role)();
      Name::from_bytes(derived.bytes(), "derived");
    } catch (const InputError&) {
    }
  }
}

// Messages are one line. Name::from_hex echoes its input verbatim, so that holds only for input
// without a newline (the CLI flattens what it prints anyway).
void check_message(const InputError& e, std::string_view input) {
  if (input.find('\n') == std::string_view::npos &&
      std::string_view(e.what()).find('\n') != std::string_view::npos)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    exercise(Name::from_bytes(std::span<const uint8_t>(data, size), "fuzz input"));
  } catch (const InputError& e) {
    check_message(e, "");
  }
  try {
    exercise(Name::from_hex(text));
  } catch (const InputError& e) {
    check_message(e, text);
  }
  return 0;
}
