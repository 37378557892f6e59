#include "rpc/policy_file.h"

#include <toml++/toml.h>

#include <algorithm>
#include <functional>
#include <map>

#include "core/error.h"

namespace fixnet::rpc {

namespace {

using Entry = std::map<std::string, std::string>;  // key → string value

// Each table of the array rpc.NAME, its keys checked against `keys` (all strings); `where` names it.
void each_entry(const std::string& name, const toml::table& rpc, const std::string& list_name,
                const std::vector<std::string>& keys,
                const std::function<void(const std::string& where, const Entry&)>& take) {
  const toml::node* list = rpc.get(list_name);
  if (list == nullptr) return;
  // `policy = []` (toml++ does not count an empty array as one of tables) is no entries.
  if (list->is_array() && list->as_array()->empty()) return;
  if (!list->is_array_of_tables())
    throw InputError(name + ": rpc." + list_name + " must be an array of tables ([[rpc." + list_name + "]])");
  std::string known;
  for (const auto& k : keys) known += (known.empty() ? "" : ", ") + k;
  for (const auto& node : *list->as_array()) {
    const auto& t = *node.as_table();
    const std::string where = name + ":" + std::to_string(t.source().begin.line) + ": [[rpc." + list_name + "]]";
    Entry entry;
    for (const auto& [key, value] : t) {
      if (std::find(keys.begin(), keys.end(), key.str()) == keys.end())
        throw InputError(where + ": unknown key '" + std::string(key.str()) + "' (" + known + ")");
      if (!value.is_string()) throw InputError(where + ": " + std::string(key.str()) + " must be a string");
      entry[std::string(key.str())] = *value.value<std::string>();
    }
    take(where, entry);
  }
}

}  // namespace

ConfigFile read_config_file(const std::filesystem::path& file) {
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
  ConfigFile out;
  const toml::node* rpc = root.get("rpc");
  if (rpc == nullptr) return out;
  if (!rpc->is_table()) throw InputError(name + ": rpc must be a table");
  for (const auto& [key, value] : *rpc->as_table())
    if (key.str() != "policy" && key.str() != "route")
      throw InputError(name + ": unknown key rpc." + std::string(key.str()) + " (rpc.policy, rpc.route)");
  each_entry(name, *rpc->as_table(), "policy", {"engine", "config"}, [&](const std::string& where, const Entry& e) {
    PolicySpec spec{e.contains("engine") ? e.at("engine") : "", e.contains("config") ? e.at("config") : ""};
    if (spec.engine.empty()) throw InputError(where + ": needs engine = \"NAME\" (e.g. \"ratelimit\")");
    out.policies.push_back(std::move(spec));
  });
  each_entry(name, *rpc->as_table(), "route", {"service", "peer"}, [&](const std::string& where, const Entry& e) {
    if (!e.contains("service") || !e.contains("peer"))
      throw InputError(where + ": needs service = \"PACKAGE.SERVICE\" and peer = \"HOST:PORT\"");
    out.routes.push_back({e.at("service"), e.at("peer")});
  });
  return out;
}

}  // namespace fixnet::rpc
