#include "cli/lib/text.h"

#include <fmt/format.h>

namespace fixnet::cli {
namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not valid UTF-8.
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto c = static_cast<uint8_t>(s[i]);
  size_t len;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    len = 2;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto d = static_cast<uint8_t>(s[i + k]);
    if ((d & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3f);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are not text.
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

}  // namespace

bool is_printable(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<uint8_t>(bytes[i]);
    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') return false;
    if (c == 0x7f) return false;
    const size_t len = utf8_sequence(bytes, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string quote(std::string_view bytes) {
  std::string out = "\"";
  for (char ch : bytes) {
    const auto c = static_cast<uint8_t>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f)
          out += fmt::format("\\x{:02x}", c);
        else
          out += ch;
    }
  }
  out += '"';
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    const auto c = static_cast<uint8_t>(ch);
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string show_bytes(std::string_view bytes, size_t max_bytes) {
  const bool cut = bytes.size() > max_bytes;
  std::string_view shown = bytes.substr(0, max_bytes);
  // Cutting may split a UTF-8 sequence: back off to a boundary so printable text stays printable.
  if (cut)
    while (!shown.empty() && (static_cast<uint8_t>(shown.back()) & 0xc0) == 0x80)
      shown.remove_suffix(1);
  if (cut && !shown.empty() && static_cast<uint8_t>(shown.back()) >= 0xc0) shown.remove_suffix(1);
  if (is_printable(shown)) return cut ? quote(shown) + "…" : quote(shown);
  std::string out = "x:" + to_hex(shown);
  if (cut) return out + "…";
  // Small binary Blobs are usually numbers (procedures exchange little-endian integers): also
  // show the value, in the expression form that makes the same Blob.
  if (bytes.size() == 1 || bytes.size() == 2 || bytes.size() == 4 || bytes.size() == 8) {
    uint64_t value = 0;
    for (size_t i = bytes.size(); i-- > 0;) value = value << 8 | static_cast<uint8_t>(bytes[i]);
    out += fmt::format(" (u{}:{})", bytes.size() * 8, value);
  }
  return out;
}

std::string human_bytes(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) {
    v /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", v, kUnits[unit]);
}


uint64_t read_u64_le(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes.size() && i < 8; ++i)
    v |= uint64_t{static_cast<uint8_t>(bytes[i])} << (8 * i);
  return v;
}

std::optional<std::string> native_procedure_name(std::string_view blob_bytes) {
  constexpr std::string_view kPrefix = "fixnet-native:";
  if (!blob_bytes.starts_with(kPrefix) || blob_bytes.size() == kPrefix.size()) return std::nullopt;
  std::string_view name = blob_bytes.substr(kPrefix.size());
  if (!is_printable(name) || name.size() > 200) return std::nullopt;
  return std::string(name);
}

}  // namespace fixnet::cli
