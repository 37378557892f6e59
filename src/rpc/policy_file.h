// The daemon's TOML configuration of policies (fixnetd --config FILE.toml; docs/rpc.md, "Operator
// control"):
//
//   [[rpc.policy]]
//   engine = "ratelimit"          # a built-in policy or a plugin path
//   config = "rate=1000 burst=50"  # optional
//
// Each is attached to every application as it connects, in file order.
#pragma once

#include <filesystem>
#include <vector>

#include "rpc/service.h"

namespace fixnet::rpc {

// Throws InputError "FILE:LINE:COLUMN: problem" for bad TOML, and naming the key for a bad entry.
std::vector<PolicySpec> read_policy_file(const std::filesystem::path& file);

}  // namespace fixnet::rpc
