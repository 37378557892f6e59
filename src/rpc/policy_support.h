// What the policy engines share (docs/rpc.md, "Policies"): moving RPCs along, handing held ones
// back, reading a "key=value key=value" configuration, and exporting an engine built in or as a
// plugin. Header only, with no out-of-line fixnet symbols, so a policy compiles into a plugin .so
// on its own.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "rpc/engine.h"

namespace fixnet::rpc::policy {

inline constexpr size_t kBudget = 32;  // RPCs per direction per round, like the other engines

// Moves up to `budget` messages from `from` to `to`; the number moved.
inline size_t forward(MessageQueue& from, MessageQueue& to, size_t budget = kBudget) {
  size_t n = 0;
  for (; n < budget && !from.empty(); ++n) {
    to.push_back(std::move(from.front()));
    from.pop_front();
  }
  return n;
}

// Puts everything `held` holds in front of `to`, in order (give_back).
inline void hand_back(MessageQueue& held, MessageQueue& to) {
  for (auto it = held.rbegin(); it != held.rend(); ++it) to.push_front(std::move(*it));
  held.clear();
}

// "key=value …" (spaces or commas between) with only `keys` allowed. Throws InputError naming the
// engine and the word at fault.
inline std::map<std::string, std::string> parse_settings(std::string_view engine, std::string_view config,
                                                         std::initializer_list<std::string_view> keys) {
  std::map<std::string, std::string> settings;
  std::string allowed;
  for (auto k : keys) allowed += (allowed.empty() ? "" : ", ") + std::string(k);
  size_t at = 0;
  while (at < config.size()) {
    if (config[at] == ' ' || config[at] == ',' || config[at] == '\t') {
      ++at;
      continue;
    }
    size_t end = config.find_first_of(" ,\t", at);
    if (end == std::string_view::npos) end = config.size();
    const std::string word(config.substr(at, end - at));
    at = end;
    const size_t eq = word.find('=');
    const std::string key = word.substr(0, eq);
    bool known = false;
    for (auto k : keys) known = known || k == key;
    if (eq == std::string::npos || eq + 1 == word.size() || !known)
      throw InputError(std::string(engine) + " config: '" + word.substr(0, 60) + "' is not KEY=VALUE with KEY one of " +
                       allowed);
    if (settings.count(key)) throw InputError(std::string(engine) + " config: " + key + " given twice");
    settings[key] = word.substr(eq + 1);
  }
  return settings;
}

// A non-negative number, or "inf" when `infinite` allows it (returned as -1). Throws InputError.
inline double parse_amount(std::string_view engine, const std::string& key, const std::string& text, bool infinite) {
  if (infinite && text == "inf") return -1;
  size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(value >= 0) || value > 1e15)
    throw InputError(std::string(engine) + " config: " + key + "=" + text.substr(0, 40) + " is not a number ≥ 0" +
                     (infinite ? " or inf" : ""));
  return value;
}

}  // namespace fixnet::rpc::policy
