#include "rpc/acl_rules.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "rpc/schema.h"

namespace fixnet::rpc::acl {
namespace {

using google::protobuf::FieldDescriptor;

Value value_type(const FieldDescriptor* f) {
  switch (f->type()) {
    case FieldDescriptor::TYPE_STRING:
    case FieldDescriptor::TYPE_BYTES: return Value::kText;
    case FieldDescriptor::TYPE_UINT32:
    case FieldDescriptor::TYPE_UINT64:
    case FieldDescriptor::TYPE_FIXED32:
    case FieldDescriptor::TYPE_FIXED64:
    case FieldDescriptor::TYPE_BOOL: return Value::kUnsigned;
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_INT64:
    case FieldDescriptor::TYPE_SINT32:
    case FieldDescriptor::TYPE_SINT64:
    case FieldDescriptor::TYPE_SFIXED32:
    case FieldDescriptor::TYPE_SFIXED64:
    case FieldDescriptor::TYPE_ENUM: return Value::kSigned;
    default: throw InputError("acl: field " + f->full_name() + " is a " + f->type_name() +
                              "; rules check string, bytes, integer, bool and enum fields");
  }
}

constexpr std::pair<const char*, Op> kOps[] = {{"==", Op::kEq}, {"!=", Op::kNe}, {"<", Op::kLt},        {"<=", Op::kLe},
                                               {">", Op::kGt},  {">=", Op::kGe}, {"prefix", Op::kPrefix}};

// The words of a rule: runs of non-space, or "quoted strings" (kept with their quotes).
std::vector<std::string> words(const std::string& rule) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < rule.size()) {
    if (std::isspace(static_cast<unsigned char>(rule[at]))) {
      ++at;
      continue;
    }
    if (rule[at] == '"') {
      const size_t close = rule.find('"', at + 1);
      if (close == std::string::npos) throw InputError("acl rule '" + one_line(rule) + "': a quote is not closed");
      out.push_back(rule.substr(at, close + 1 - at));
      at = close + 1;
      continue;
    }
    size_t end = at;
    while (end < rule.size() && !std::isspace(static_cast<unsigned char>(rule[end]))) ++end;
    out.push_back(rule.substr(at, end - at));
    at = end;
  }
  return out;
}

Rule parse_rule(const Schema& schema, const std::string& source) {
  auto refuse = [&](const std::string& why) -> Rule {
    throw InputError("acl rule '" + one_line(source) + "': " + why);
  };
  const auto w = words(source);
  if (w.size() != 4) return refuse("write METHOD FIELD OP VALUE (e.g. Put key == \"admin\")");
  Rule r{};
  r.source = source;
  const SchemaMethod* method = nullptr;
  std::string names;
  for (const auto& m : schema.methods()) {
    if (m.method->name() == w[0] || m.method->full_name() == w[0] ||
        m.method->service()->name() + "." + m.method->name() == w[0])
      method = &m;
    names += (names.empty() ? "" : ", ") + m.method->name();
  }
  if (method == nullptr) return refuse("the schema " + schema.file()->name() + " has no method " + one_line(w[0]) + " (it has " + names + ")");
  r.method = method->id;
  const auto* request = method->method->input_type();
  const FieldDescriptor* field = request->FindFieldByName(w[1]);
  if (field == nullptr) {
    std::string fields;
    for (int i = 0; i < request->field_count(); ++i) fields += (i ? ", " : "") + request->field(i)->name();
    return refuse(request->full_name() + " has no field " + one_line(w[1]) + " (it has " + fields + ")");
  }
  if (field->is_repeated()) return refuse("field " + field->name() + " is repeated; rules check singular fields");
  r.field = static_cast<uint32_t>(field->number());
  r.descriptor = field;
  r.type = value_type(field);
  auto op = std::find_if(std::begin(kOps), std::end(kOps), [&](const auto& o) { return w[2] == o.first; });
  if (op == std::end(kOps)) return refuse("unknown operator " + one_line(w[2]) + " (==, !=, <, <=, >, >=, prefix)");
  r.op = op->second;
  std::string value = w[3];
  if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
  if (r.type == Value::kText) {
    if (r.op != Op::kEq && r.op != Op::kNe && r.op != Op::kPrefix)
      return refuse("strings and bytes compare with ==, != or prefix");
    r.text = value;
    return r;
  }
  if (r.op == Op::kPrefix) return refuse("prefix compares strings; " + field->name() + " is a number");
  if (field->type() == FieldDescriptor::TYPE_BOOL && (value == "true" || value == "false")) {
    r.unsigned_value = value == "true";
    return r;
  }
  if (field->type() == FieldDescriptor::TYPE_ENUM)
    if (const auto* e = field->enum_type()->FindValueByName(value)) {
      r.signed_value = e->number();
      return r;
    }
  try {
    size_t used = 0;
    if (r.type == Value::kSigned) r.signed_value = std::stoll(value, &used, 0);
    else if (value.starts_with("-")) used = 0;
    else r.unsigned_value = std::stoull(value, &used, 0);
    if (used != value.size() || used == 0) throw std::invalid_argument("");
  } catch (const std::exception&) {
    return refuse("'" + one_line(value) + "' is not a value of " + field->name() + " (" + field->type_name() + ")");
  }
  return r;
}

}  // namespace

std::vector<Rule> parse_rules(const Schema& schema, std::string_view config) {
  std::vector<Rule> rules;
  // A ';' or newline inside a "quoted string" belongs to the string.
  std::string rule;
  bool quoted = false;
  auto finish = [&] {
    if (rule.find_first_not_of(" \t\r") != std::string::npos) rules.push_back(parse_rule(schema, rule));
    if (rules.size() > kMaxRules) throw InputError("acl: more than 1024 rules");
    rule.clear();
  };
  for (char c : config) {
    if (!quoted && (c == ';' || c == '\n')) {
      finish();
      continue;
    }
    quoted ^= c == '"';
    rule += c;
  }
  finish();
  return rules;
}

std::string render(const Schema& schema, const Rule& r) {
  std::string op;
  for (const auto& [text, o] : kOps)
    if (o == r.op) op = text;
  std::string value;
  if (r.type == Value::kText)  // what parses: a quoted string without quotes, or a word that does not start with one
    value = r.text.find('"') == std::string::npos ? "\"" + r.text + "\"" : r.text;
  else
    value = r.type == Value::kSigned ? std::to_string(r.signed_value) : std::to_string(r.unsigned_value);
  return schema.method(r.method)->method->full_name() + " " + r.descriptor->name() + " " + op + " " + value;
}

bool matches(const Rule& r, std::string_view text, uint64_t raw) {
  if (r.type == Value::kText) {
    switch (r.op) {
      case Op::kEq: return text == r.text;
      case Op::kNe: return text != r.text;
      default: return text.starts_with(r.text);
    }
  }
  auto apply = [&](auto a, auto b) {
    switch (r.op) {
      case Op::kEq: return a == b;
      case Op::kNe: return a != b;
      case Op::kLt: return a < b;
      case Op::kLe: return a <= b;
      case Op::kGt: return a > b;
      default: return a >= b;
    }
  };
  if (r.type == Value::kUnsigned) return apply(raw, r.unsigned_value);
  // Signed: decode by the field's encoding (varint two's complement, zigzag, fixed).
  int64_t v;
  switch (r.descriptor->type()) {
    case FieldDescriptor::TYPE_SINT32:
    case FieldDescriptor::TYPE_SINT64: v = static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1)); break;
    case FieldDescriptor::TYPE_SFIXED32: v = static_cast<int32_t>(raw); break;
    case FieldDescriptor::TYPE_INT32:
    case FieldDescriptor::TYPE_ENUM: v = static_cast<int32_t>(raw); break;
    default: v = static_cast<int64_t>(raw);
  }
  return apply(v, r.signed_value);
}

}  // namespace fixnet::rpc::acl
