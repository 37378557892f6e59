#include "rpc/policy_file.h"

#include <toml++/toml.h>

#include "core/error.h"

namespace fixnet::rpc {

std::vector<PolicySpec> read_policy_file(const std::filesystem::path& file) {
  const std::string name = one_line(file.string());
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw InputError(name + ":" + std::to_string(e.source().begin.line) + ":" + std::to_string(e.source().begin.column) +
                     ": " + std::string(e.description()));
  }
  for (const auto& [key, value] : root)
    if (key.str() != "rpc") throw InputError(name + ": unknown section [" + std::string(key.str()) + "] (only [rpc])");
  std::vector<PolicySpec> policies;
  const toml::node* rpc = root.get("rpc");
  if (rpc == nullptr) return policies;
  if (!rpc->is_table()) throw InputError(name + ": rpc must be a table");
  for (const auto& [key, value] : *rpc->as_table())
    if (key.str() != "policy") throw InputError(name + ": unknown key rpc." + std::string(key.str()) + " (only rpc.policy)");
  const toml::node* list = rpc->as_table()->get("policy");
  if (list == nullptr) return policies;
  // `policy = []` (toml++ does not count an empty array as one of tables) is no policies.
  if (list->is_array() && list->as_array()->empty()) return policies;
  if (!list->is_array_of_tables()) throw InputError(name + ": rpc.policy must be an array of tables ([[rpc.policy]])");
  for (const auto& entry : *list->as_array()) {
    const auto& t = *entry.as_table();
    const std::string where = name + ":" + std::to_string(t.source().begin.line) + ": [[rpc.policy]]";
    PolicySpec spec;
    for (const auto& [key, value] : t) {
      if (key.str() != "engine" && key.str() != "config")
        throw InputError(where + ": unknown key '" + std::string(key.str()) + "' (engine, config)");
      if (!value.is_string()) throw InputError(where + ": " + std::string(key.str()) + " must be a string");
    }
    spec.engine = t["engine"].value_or(std::string());
    spec.config = t["config"].value_or(std::string());
    if (spec.engine.empty()) throw InputError(where + ": needs engine = \"NAME\" (e.g. \"ratelimit\")");
    policies.push_back(std::move(spec));
  }
  return policies;
}

}  // namespace fixnet::rpc
