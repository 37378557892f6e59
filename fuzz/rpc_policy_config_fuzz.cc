// Fuzzes the policy engines' configuration parsers (docs/rpc.md, "Policies"): what an operator gives
// `fixnet rpc ctl attach/config --config` or the daemon's TOML file. The first byte picks the engine
// (acl, ratelimit, qos, metrics); the rest is a first configuration, then, after a NUL byte, a second
// one given live. Contract checked:
//   - configure() throws InputError or nothing;
//   - acl: rules that parse render (acl::render) to text that parses to the same rules; a refused
//     second configuration leaves as many rules in force as the first one set;
//   - key=value configurations (ratelimit, metrics) re-render and re-parse to the same settings;
//   - whatever the configuration, calls put through the engine are neither lost nor duplicated: each
//     comes out toward the transport, as a refusal toward the application, or back (give_back).
// Not a check but a fence: a metrics trace file named by the input is created inside a scratch
// directory (contained_config.h), never where the input says.
#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "core/error.h"
#include "contained_config.h"
#include "fuzz_datapath.h"
#include "rpc/acl_rules.h"
#include "rpc/policy_support.h"

namespace {

using namespace fixnet;
using namespace fixnet::rpc;

struct Policy {
  const fixnet_rpc_engine_plugin* (*plugin)();
  std::initializer_list<std::string_view> keys;  // key=value configurations: their keys
};

const Policy kPolicies[] = {
    {&builtin_acl_engine, {}},
    {&builtin_ratelimit_engine, {"rate", "burst", "mode"}},
    {&builtin_qos_engine, {}},
    {&builtin_metrics_engine, {"trace"}},
};

bool configure(Engine& engine, const std::string& config) {
  try {
    engine.configure(fuzz::contained(config));
    return true;
  } catch (const InputError&) {
    return false;
  }
}

void check_acl_round_trip(const std::string& config) {
  const Schema& schema = fuzz::all_types_schema();
  std::vector<acl::Rule> rules;
  try {
    rules = acl::parse_rules(schema, config);
  } catch (const InputError&) {
    return;
  }
  std::string rendered;
  for (const auto& r : rules) rendered += acl::render(schema, r) + "\n";
  if (acl::parse_rules(schema, rendered) != rules) std::abort();
}

void check_settings_round_trip(const Policy& policy, const std::string& config) {
  std::map<std::string, std::string> settings;
  try {
    settings = policy::parse_settings("fuzz", config, policy.keys);
  } catch (const InputError&) {
    return;
  }
  std::string rendered;
  for (const auto& [key, value] : settings) rendered += key + "=" + value + " ";
  if (policy::parse_settings("fuzz", rendered, policy.keys) != settings) std::abort();
}

uint64_t counter(const Engine& engine, const std::string& name) {
  EngineReport report;
  engine.report(report);
  for (const auto& [n, v] : report.counters)
    if (n == name) return v;
  std::abort();  // a counter the contract reads is gone: the check would compare nothing
}

// Puts calls of every method through the engine, a few rounds, then takes back what it holds.
void check_calls_conserved(Engine& engine) {
  MessageQueue requests_in, requests_out, replies_in, replies_out;
  constexpr uint64_t kCalls = 40;
  for (uint64_t id = 1; id <= kCalls; ++id) {
    RpcMessage m;
    m.kind = Kind::kRequest;
    m.call_id = id;
    m.method = 1 + id % 4;  // 4: a method the schema does not have
    m.offset = id * 64;
    requests_in.push_back(m);
  }
  EnginePorts ports{&requests_in, &requests_out, &replies_in, &replies_out};
  for (int round = 0; round < 4; ++round) engine.do_work(ports);
  engine.give_back(ports);
  std::set<uint64_t> seen;
  for (const auto* queue : {&requests_in, &requests_out, &replies_out})
    for (const RpcMessage& m : *queue)
      if (!seen.insert(m.call_id).second) std::abort();
  if (seen.size() != kCalls) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Policy& policy = kPolicies[data[0] % std::size(kPolicies)];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t nul = text.find('\0');
  const std::string first = text.substr(0, nul);
  const std::string second = nul == std::string::npos ? "" : text.substr(nul + 1);

  fuzz::FuzzDatapath context(&fuzz::all_types_schema());
  auto engine = fuzz::make_engine(policy.plugin(), context);
  if (!engine) std::abort();
  const bool is_acl = policy.plugin == &builtin_acl_engine;
  if (is_acl) check_acl_round_trip(first);
  else if (policy.keys.size() != 0) check_settings_round_trip(policy, first);

  if (!configure(*engine, first)) return 0;
  const uint64_t rules = is_acl ? counter(*engine, "rules") : 0;
  if (nul != std::string::npos && !configure(*engine, second) && is_acl && counter(*engine, "rules") != rules)
    std::abort();
  check_calls_conserved(*engine);
  return 0;
}
