#include "wasm/c_split.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace fixnet::wasm {
namespace {

// The exact text wabt 1.0.32's C writer emits at the seams (src/c-writer.cc: WriteCSource).
constexpr std::string_view kInitFlag = "static bool s_module_initialized = false;\n";
constexpr std::string_view kFuncTypes = "static u32 func_types[";
constexpr std::string_view kInitFuncTypes = "static void init_func_types(void) {\n";
constexpr std::string_view kDataArray = "static const u8 data_segment_data_";
constexpr std::string_view kElemArray = "static const wasm_elem_segment_expr_t elem_segment_exprs_";
constexpr std::string_view kInstanceParam = "Z_m_instance_t*";
constexpr std::string_view kDepthExport = "Z_mZ___fixnet_depth(Z_m_instance_t* instance) {\n  return &instance->";
constexpr std::string_view kStatic = "static ";

struct Failure {
  std::string why;
};

// Reads `text` line by line (each line without its '\n'; the last one may lack it).
class Lines {
 public:
  Lines(std::string_view text, size_t at) : text_(text), at_(at) {}
  bool done() const { return at_ >= text_.size(); }
  size_t at() const { return at_; }
  std::string_view peek() const {
    const size_t end = text_.find('\n', at_);
    return text_.substr(at_, end == std::string_view::npos ? std::string_view::npos : end - at_);
  }
  std::string_view next() {
    std::string_view line = peek();
    at_ = std::min(text_.size(), at_ + line.size() + 1);
    return line;
  }
  void skip_blank() {
    while (!done() && peek().empty()) next();
  }

 private:
  std::string_view text_;
  size_t at_;
};

struct Declaration {
  std::string_view line;   // "static u32 w2c_f1(Z_m_instance_t*, u32);"
  std::string_view name;   // "w2c_f1"
  std::string definition;  // "static u32 w2c_f1(Z_m_instance_t* instance": how its definition starts
};

// The identifier just before the first '(' of `line` (a prototype), or "" if there is none.
std::string_view name_before_paren(std::string_view line) {
  const size_t paren = line.find('(');
  if (paren == std::string_view::npos) return {};
  const size_t space = line.rfind(' ', paren);
  if (space == std::string_view::npos) return {};
  return line.substr(space + 1, paren - space - 1);
}

bool is_identifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Balanced braces and nothing but blank space after the last closing one: one whole definition.
bool is_whole_definition(std::string_view chunk) {
  long depth = 0;
  for (char c : chunk) {
    if (c == '{') ++depth;
    if (c == '}' && --depth < 0) return false;
  }
  const size_t last = chunk.rfind('}');
  return depth == 0 && last != std::string_view::npos &&
         chunk.find_first_not_of(" \n", last + 1) == std::string_view::npos;
}

// End of the definition starting at `start` (through its closing brace's line and one blank line).
size_t end_of_definition(std::string_view text, size_t start) {
  long depth = 0;
  for (size_t i = text.find('{', start); i < text.size(); ++i) {
    if (text[i] == '{') ++depth;
    if (text[i] == '}' && --depth == 0) {
      size_t end = text.find('\n', i);
      end = end == std::string_view::npos ? text.size() : end + 1;
      if (end < text.size() && text[end] == '\n') ++end;
      return end;
    }
  }
  throw Failure{"a function's braces do not close"};
}

// File-scope lines of module-level code (between the declarations and the first function, or after
// the last one): no function of the module may be defined there, and the only variables may be the
// segment arrays, which are collected into `arrays` and made shared.
void check_module_level(std::string_view text, std::vector<std::string>* arrays) {
  Lines lines(text, 0);
  while (!lines.done()) {
    const std::string_view line = lines.next();
    if (!line.starts_with(kStatic)) continue;
    if (line.starts_with(kDataArray) || line.starts_with(kElemArray)) {
      if (!arrays) throw Failure{fmt::format("unexpected segment array after the functions: {}", line)};
      arrays->emplace_back(line.substr(kStatic.size(), line.find('[') - kStatic.size()));
      continue;
    }
    if (line.find('(') == std::string_view::npos)
      throw Failure{fmt::format("unexpected file-scope variable: {}", line)};
    if (name_before_paren(line).starts_with("w2c_"))
      throw Failure{fmt::format("a function of the module outside the function section: {}", line)};
  }
}

SplitC split(const std::string& source, size_t function_count, const SplitLimits& limits) {
  const std::string_view text = source;
  const size_t init = text.find(kInitFlag);
  if (init == std::string_view::npos || (init > 0 && text[init - 1] != '\n') ||
      text.find(kInitFlag, init + 1) != std::string_view::npos)
    throw Failure{"the module-state flag is not where wasm2c 1.0.32 writes it"};
  const std::string_view prelude = text.substr(0, init);
  {  // The prelude goes into every unit: a variable there would exist once per unit.
    Lines lines(prelude, 0);
    while (!lines.done()) {
      const std::string_view line = lines.next();
      if (line.starts_with(kStatic) && line.find('(') == std::string_view::npos)
        throw Failure{fmt::format("unexpected file-scope variable in the prelude: {}", line)};
    }
  }

  Lines lines(text, init + kInitFlag.size());
  lines.skip_blank();
  const std::string_view func_types = lines.next();
  if (!func_types.starts_with(kFuncTypes) || !func_types.ends_with("];"))
    throw Failure{"no function type table after the module-state flag"};
  lines.skip_blank();
  const size_t init_types = lines.at();
  if (lines.next() != kInitFuncTypes.substr(0, kInitFuncTypes.size() - 1))
    throw Failure{"no init_func_types after the function type table"};
  while (!lines.done() && lines.peek() != "}") lines.next();
  if (lines.done()) throw Failure{"init_func_types does not end"};
  lines.next();
  const std::string_view init_types_text = text.substr(init_types, lines.at() - init_types);
  lines.skip_blank();

  std::vector<Declaration> declarations;
  while (!lines.done() && lines.peek().starts_with(kStatic) && lines.peek().ends_with(");")) {
    const std::string_view line = lines.next();
    const std::string_view name = name_before_paren(line);
    const size_t paren = line.find('(');
    if (!name.starts_with("w2c_") || !is_identifier(name) || line.substr(paren + 1, kInstanceParam.size()) != kInstanceParam)
      throw Failure{fmt::format("unexpected function declaration: {}", line)};
    declarations.push_back({line, name, std::string(line.substr(0, paren + 1)) + "Z_m_instance_t* instance"});
  }
  if (declarations.size() != function_count)
    throw Failure{fmt::format("{} function declarations for {} functions", declarations.size(), function_count)};
  const size_t declarations_end = lines.at();

  // The definitions, in the declarations' order.
  std::vector<size_t> starts;
  size_t cursor = declarations_end;
  for (const Declaration& d : declarations) {
    const std::string needle = "\n" + d.definition;
    size_t found = text.find(needle, cursor == 0 ? 0 : cursor - 1);
    while (found != std::string_view::npos) {
      // The parameter list, wrapped over several lines when long, then ") {".
      const size_t after = found + needle.size();
      const size_t open = text.find(") {\n", after);
      if (after < text.size() && (text[after] == ')' || text[after] == ',') && open != std::string_view::npos &&
          text.substr(after, open - after).find_first_of(";{}") == std::string_view::npos)
        break;
      found = text.find(needle, after);
    }
    if (found == std::string_view::npos) throw Failure{fmt::format("no definition of {} in order", d.name)};
    starts.push_back(found + 1);
    cursor = found + 1 + needle.size();
  }
  std::vector<size_t> ends(starts.begin() + 1, starts.end());
  ends.push_back(end_of_definition(text, starts.back()));

  std::vector<std::string> arrays;
  const std::string_view module_level = text.substr(declarations_end, starts.front() - declarations_end);
  const std::string_view trailer = text.substr(ends.back());
  check_module_level(module_level, &arrays);
  check_module_level(trailer, nullptr);

  SplitC out;
  const size_t depth = trailer.find(kDepthExport);
  if (depth != std::string_view::npos) {
    const size_t from = depth + kDepthExport.size();
    out.depth_field = std::string(trailer.substr(from, trailer.find(';', from) - from));
  }
  if (!is_identifier(out.depth_field)) throw Failure{"no __fixnet_depth export"};

  out.shared = std::string(prelude);
  out.shared += "\n/* Shared between the units (c_split.h): defined once, hidden. */\n";
  out.shared += "#define FIXNET_SHARED __attribute__((visibility(\"hidden\")))\n";
  out.shared += fmt::format("extern FIXNET_SHARED {}\n", func_types.substr(kStatic.size()));
  for (const std::string& array : arrays) out.shared += fmt::format("extern FIXNET_SHARED {}[];\n", array);
  for (const Declaration& d : declarations) out.shared += fmt::format("FIXNET_SHARED {}\n", d.line.substr(kStatic.size()));

  out.main = std::string(kInitFlag) + "\n" + std::string(func_types.substr(kStatic.size())) + "\n\n" +
             std::string(init_types_text) + "\n";
  {
    Lines c(module_level, 0);
    while (!c.done()) {
      const std::string_view line = c.next();
      const bool array = line.starts_with(kDataArray) || line.starts_with(kElemArray);
      out.main += array ? line.substr(kStatic.size()) : line;
      out.main += '\n';
    }
  }
  out.main += trailer;

  // Functions in order, cut into units of about part_bytes; huge ones into units of their own kind
  // (compiled with other flags: see CFunctionPart::huge).
  CFunctionPart normal, huge;
  huge.huge = true;
  auto flush = [&](CFunctionPart& part) {
    if (part.functions == 0) return;
    out.parts.push_back(std::move(part));
    part = CFunctionPart{};
    part.huge = &part == &huge;
  };
  for (size_t i = 0; i < starts.size(); ++i) {
    const std::string_view chunk = text.substr(starts[i], ends[i] - starts[i]);
    if (!is_whole_definition(chunk))
      throw Failure{fmt::format("the definition of {} is not one balanced block", declarations[i].name)};
    CFunctionPart& part = chunk.size() >= limits.huge_function_bytes ? huge : normal;
    part.text += chunk.substr(kStatic.size());  // hidden (declared so in the shared header), not static
    part.functions += 1;
    part.largest = std::max(part.largest, chunk.size());
    if (part.text.size() >= limits.part_bytes) flush(part);
  }
  flush(normal);
  flush(huge);
  return out;
}

}  // namespace

std::variant<SplitC, std::string> split_c(const std::string& source, size_t function_count,
                                          const SplitLimits& limits) {
  if (function_count == 0) return std::string("the module defines no function");
  try {
    return split(source, function_count, limits);
  } catch (const Failure& failure) {
    return failure.why;
  }
}

}  // namespace fixnet::wasm
