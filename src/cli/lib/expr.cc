#include "cli/lib/expr.h"

#include <fmt/format.h>

#include <limits>
#include <optional>
#include <vector>

#include "cli/lib/directory_tree.h"
#include "cli/lib/text.h"
#include "core/error.h"
#include "core/procedure.h"
#include "core/repository.h"

namespace fixnet::cli {
namespace {

// An error the parser itself raised: already carries the expression and column, so it is passed
// through untouched where other InputErrors get a column added.
class ExprError : public InputError {
 public:
  using InputError::InputError;
};

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_label_char(char c) { return is_word_char(c) || c == '.' || c == '-'; }
bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string le_bytes(uint64_t value, size_t width) {
  std::string out(width, '\0');
  for (size_t i = 0; i < width; ++i) out[i] = static_cast<char>(value >> (8 * i));
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, const ExprContext& context) : text_(text), ctx_(context) {}

  Name parse() {
    Name result = expr();
    skip_space();
    if (!at_end()) fail("expected the end of the expression");
    return result;
  }

 private:
  // ---- errors -----------------------------------------------------------------------------------
  [[noreturn]] void fail_at(size_t pos, std::string_view what) const {
    throw ExprError(
        fmt::format("expression '{}' column {}: {}", one_line(text_, 120), pos + 1, what));
  }
  [[noreturn]] void fail(std::string_view what) const { fail_at(pos_, what); }

  // Runs `fn` (a resolver callback or a Name role change) and gives any InputError it throws the
  // column of the sub-expression it concerns.
  template <typename Fn>
  Name at(size_t pos, Fn&& fn) const {
    try {
      return fn();
    } catch (const ExprError&) {
      throw;
    } catch (const InputError& e) {
      // The message may echo outside text (a path, a label): keep it on one line.
      fail_at(pos, one_line(e.what(), 1000));
    }
  }

  std::string found() const {
    if (at_end()) return "the end of the expression";
    return fmt::format("'{}'", one_line(text_.substr(pos_, 1)));
  }

  // ---- lexing -----------------------------------------------------------------------------------
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  void skip_space() {
    while (!at_end() && is_space(text_[pos_])) ++pos_;
  }
  bool accept(char c) {
    skip_space();
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c, std::string_view what) {
    skip_space();
    if (peek() != c) fail(fmt::format("expected {}", what));
    ++pos_;
  }
  std::string_view word() {
    const size_t start = pos_;
    while (!at_end() && is_word_char(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // An unsigned integer, decimal or 0x-hex, range-checked against `max`.
  uint64_t number(uint64_t max, std::string_view what) {
    skip_space();
    const size_t start = pos_;
    uint64_t base = 10;
    if (peek() == '0' && pos_ + 1 < text_.size() &&
        (text_[pos_ + 1] == 'x' || text_[pos_ + 1] == 'X')) {
      base = 16;
      pos_ += 2;
    }
    const size_t digits_start = pos_;
    uint64_t value = 0;
    bool overflow = false;
    while (!at_end() && (base == 16 ? is_hex_digit(peek()) : (peek() >= '0' && peek() <= '9'))) {
      const auto digit = static_cast<uint64_t>(hex_value(peek()));
      if (value > (std::numeric_limits<uint64_t>::max() - digit) / base) overflow = true;
      value = value * base + digit;
      ++pos_;
    }
    if (pos_ == digits_start) {
      pos_ = start;
      fail(fmt::format("expected {} (a decimal or 0x-hex number), found {}", what, found()));
    }
    if (overflow || value > max)
      fail_at(start, fmt::format("{} {} is out of range (at most {})", what,
                                 text_.substr(start, pos_ - start), max));
    return value;
  }

  // ---- grammar ----------------------------------------------------------------------------------
  Name expr() {
    if (++depth_ > kMaxExpressionDepth)
      fail(fmt::format("expression nests deeper than {} levels", kMaxExpressionDepth));
    skip_space();
    const size_t start = pos_;
    Name result;
    const char c = peek();
    if (c == '"') {
      result = ctx_.store.put_blob(string_literal());
    } else if (c == '[') {
      result = tree();
    } else if (c == '@') {
      ++pos_;
      const size_t label_start = pos_;
      while (!at_end() && is_label_char(peek())) ++pos_;
      if (pos_ == label_start) fail("expected a label name after '@'");
      std::string_view label = text_.substr(label_start, pos_ - label_start);
      result = at(start, [&] { return ctx_.resolve_label(label); });
    } else {
      result = word_form(start);
    }
    --depth_;
    return result;
  }

  Name word_form(size_t start) {
    std::string_view w = word();
    if (w.empty())
      fail(
          fmt::format("expected an expression (\"text\", x:HEX, u8:N…u64:N, file:PATH, @LABEL, "
                      "NAME, [..], app:, ident:, select:, strict:, shallow:, ref:, limits, "
                      "native:), found {}",
                      found()));
    if (peek() == ':') {
      ++pos_;
      if (w == "x") return ctx_.store.put_blob(hex_bytes());
      if (w == "u8") return ctx_.store.put_blob(le_bytes(number(0xff, "u8"), 1));
      if (w == "u16") return ctx_.store.put_blob(le_bytes(number(0xffff, "u16"), 2));
      if (w == "u32") return ctx_.store.put_blob(le_bytes(number(0xffffffff, "u32"), 4));
      if (w == "u64")
        return ctx_.store.put_blob(
            le_bytes(number(std::numeric_limits<uint64_t>::max(), "u64"), 8));
      if (w == "file") return file(start);
      if (w == "native") return native();
      if (w == "app") return role(start, [](Name n) { return n.application(); });
      if (w == "ident") return role(start, [](Name n) { return n.identification(); });
      if (w == "strict") return role(start, [](Name n) { return n.strict(); });
      if (w == "shallow") return role(start, [](Name n) { return n.shallow(); });
      if (w == "ref") return role(start, [](Name n) { return n.as_ref(); });
      if (w == "select") return selection(start);
      fail_at(start, fmt::format("unknown form '{}:' (expected x:, u8:, u16:, u32:, u64:, file:, "
                                 "native:, app:, ident:, select:, strict:, shallow: or ref:)",
                                 one_line(w, 40)));
    }
    if (w == "limits") return limits();
    for (char c : w)
      if (!is_hex_digit(c))
        fail_at(start, fmt::format("unknown word '{}': a Name is hex digits, a label is written "
                                   "@LABEL",
                                   one_line(w, 40)));
    return at(start, [&] { return ctx_.resolve_name(w); });
  }

  std::string string_literal() {
    const size_t open = pos_;
    ++pos_;  // the opening quote
    std::string out;
    for (;;) {
      if (at_end()) fail_at(open, "unterminated string (expected a closing '\"')");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      const size_t escape = pos_;
      ++pos_;
      switch (at_end() ? '\0' : text_[pos_++]) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case '0':
          out += '\0';
          break;
        case '\\':
          out += '\\';
          break;
        case '"':
          out += '"';
          break;
        case 'x': {
          if (pos_ + 2 > text_.size() || !is_hex_digit(text_[pos_]) ||
              !is_hex_digit(text_[pos_ + 1]))
            fail_at(escape, "\\x needs two hex digits");
          out += static_cast<char>(hex_value(text_[pos_]) * 16 + hex_value(text_[pos_ + 1]));
          pos_ += 2;
          break;
        }
        default:
          fail_at(escape, "unknown escape (expected \\n, \\t, \\r, \\0, \\\\, \\\" or \\xHH)");
      }
    }
  }

  std::string hex_bytes() {
    const size_t start = pos_;
    while (!at_end() && is_hex_digit(peek())) ++pos_;
    if (!at_end() && is_word_char(peek())) fail("expected a hex digit");
    if ((pos_ - start) % 2 != 0) fail_at(start, "x: needs an even number of hex digits");
    std::string out;
    for (size_t i = start; i < pos_; i += 2)
      out += static_cast<char>(hex_value(text_[i]) * 16 + hex_value(text_[i + 1]));
    return out;
  }

  Name tree() {
    ++pos_;  // '['
    std::vector<Name> entries;
    if (!accept(']')) {
      for (;;) {
        entries.push_back(expr());
        if (accept(']')) break;
        skip_space();
        if (peek() != ',') fail("expected ',' or ']'");
        ++pos_;
      }
    }
    return ctx_.store.put_tree(std::move(entries));
  }

  template <typename RoleFn>
  Name role(size_t start, RoleFn&& fn) {
    Name inner = expr();
    return at(start, [&] { return fn(inner); });
  }

  Name selection(size_t start) {
    expect('(', "'(' after select:");
    std::vector<Name> spec;
    spec.push_back(expr());
    expect(',', "',' and an index");
    spec.push_back(ctx_.store.put_blob(le_bytes(number(UINT64_MAX, "index"), 8)));
    if (accept(',')) spec.push_back(ctx_.store.put_blob(le_bytes(number(UINT64_MAX, "end"), 8)));
    expect(')', spec.size() == 2 ? "',' or ')'" : "')'");
    Name tree = ctx_.store.put_tree(std::move(spec));
    return at(start, [&] { return tree.selection(); });
  }

  Name file(size_t start) {
    std::string path;
    if (peek() == '"') {
      path = string_literal();
    } else {
      const size_t path_start = pos_;
      while (!at_end() && !is_space(peek()) && peek() != ',' && peek() != ']' && peek() != ')')
        ++pos_;
      path = std::string(text_.substr(path_start, pos_ - path_start));
    }
    if (path.empty()) fail("expected a path after file:");
    if (!ctx_.add_path) fail_at(start, "file: is not available here");
    return at(start, [&] { return ctx_.add_path(path); });
  }

  Name native() {
    const size_t start = pos_;
    while (!at_end() && is_label_char(peek())) ++pos_;
    if (pos_ == start) fail("expected a procedure name after native:");
    // Stored, not just named: a name longer than a literal makes a canonical Blob.
    return ctx_.store.put_blob("fixnet-native:" + std::string(text_.substr(start, pos_ - start)));
  }

  Name limits() {
    Limits limits;
    if (accept('(')) {
      bool seen_mem = false, seen_fuel = false;
      if (!accept(')')) {
        for (;;) {
          skip_space();
          const size_t key_start = pos_;
          std::string_view key = word();
          if (key == "mem" || key == "fuel") {
            bool& seen = key == "mem" ? seen_mem : seen_fuel;
            if (seen) fail_at(key_start, fmt::format("{} is given twice", key));
            seen = true;
            expect('=', fmt::format("'=' after {}", key));
            if (key == "mem")
              limits.memory_bytes = byte_count();
            else
              limits.fuel = number(UINT64_MAX, "fuel");
          } else {
            pos_ = key_start;
            fail("expected mem=BYTES or fuel=N");
          }
          if (accept(')')) break;
          skip_space();
          if (peek() != ',') fail("expected ',' or ')'");
          ++pos_;
        }
      }
    }
    return ctx_.store.put_blob(limits.to_blob_name().literal_bytes());
  }

  // A memory size: a number with an optional binary suffix K, M, G or T.
  uint64_t byte_count() {
    skip_space();
    const size_t start = pos_;
    uint64_t value = number(UINT64_MAX, "mem");
    uint64_t scale = 1;
    switch (peek()) {
      case 'K':
      case 'k':
        scale = uint64_t{1} << 10;
        break;
      case 'M':
      case 'm':
        scale = uint64_t{1} << 20;
        break;
      case 'G':
      case 'g':
        scale = uint64_t{1} << 30;
        break;
      case 'T':
      case 't':
        scale = uint64_t{1} << 40;
        break;
      default:
        break;
    }
    if (scale != 1) ++pos_;
    if (value > UINT64_MAX / scale) fail_at(start, "mem is out of range");
    return value * scale;
  }

  std::string_view text_;
  const ExprContext& ctx_;
  size_t pos_ = 0;
  size_t depth_ = 0;
};

}  // namespace

Name parse_expression(std::string_view text, const ExprContext& context) {
  return Parser(text, context).parse();
}

Name parse_expression(std::string_view text, Repository& repo) {
  ExprContext context{
      .store = repo,
      .resolve_name =
          [&repo](std::string_view t) {
            Name name = repo.resolve(t);
            // "Known to the repository": a full Name of nothing is a typo, not an input. A Ref
            // is the exception — it may name data held elsewhere.
            if (!name.is_literal() && !name.is_ref() && !repo.contains(name.content_name()))
              throw InputError(fmt::format("the repository {} does not hold object {}",
                                           repo.path().string(), name.hex()));
            return name;
          },
      .resolve_label =
          [&repo](std::string_view label) {
            std::optional<Name> name = repo.label(std::string(label));
            if (!name) throw InputError(fmt::format("no label '{}' (see `fixnet labels`)", label));
            return *name;
          },
      .add_path = [&repo](const std::string& path) { return add_path(repo, path).name; },
  };
  return parse_expression(text, context);
}

}  // namespace fixnet::cli
