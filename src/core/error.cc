#include "core/error.h"

#include <fmt/format.h>

namespace fixnet {

std::string one_line(std::string_view text, size_t max_chars) {
  const bool cut = text.size() > max_chars;
  std::string out;
  for (char ch : text.substr(0, max_chars)) {
    const auto c = static_cast<uint8_t>(ch);
    if (ch == '\n')
      out += "\\n";
    else if (ch == '\t')
      out += "\\t";
    else if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += ch;
  }
  if (cut) out += "…";
  return out;
}

}  // namespace fixnet
