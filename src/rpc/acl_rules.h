// The access-control policy's rules (docs/rpc.md, "Policies", acl): parsed from the operator's text
// against an application's schema, rendered back to text, and compared with a field's wire value.
// Apart from the engine (acl_engine.cc) so that the parser can be fuzzed with its round trip
// (fuzz/rpc_policy_config_fuzz.cc): a rule set that parses renders to text that parses to the same
// rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/descriptor.h>

namespace fixnet::rpc {

class Schema;

namespace acl {

inline constexpr size_t kMaxRules = 1024;

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kPrefix };
enum class Value { kText, kSigned, kUnsigned };

struct Rule {
  uint32_t method = 0;  // the method's id in the schema
  uint32_t field = 0;   // the request field's number
  const google::protobuf::FieldDescriptor* descriptor = nullptr;
  Value type = Value::kText;
  Op op = Op::kEq;
  std::string text;
  int64_t signed_value = 0;
  uint64_t unsigned_value = 0;
  std::string source;  // as written, for messages

  // Same meaning (`source` aside).
  bool operator==(const Rule& o) const {
    return method == o.method && field == o.field && descriptor == o.descriptor && type == o.type && op == o.op &&
           text == o.text && signed_value == o.signed_value && unsigned_value == o.unsigned_value;
  }
};

// Rules separated by ';' or newlines (outside quotes), blank ones skipped. Throws InputError naming
// the rule at fault and what to write instead.
std::vector<Rule> parse_rules(const Schema& schema, std::string_view config);
// One rule as text parse_rules reads back to the same rule (the method by its full name).
std::string render(const Schema& schema, const Rule& rule);
// Whether the field's value (`text` for strings and bytes, else the raw wire number) matches.
bool matches(const Rule& rule, std::string_view text, uint64_t raw);

}  // namespace acl
}  // namespace fixnet::rpc
