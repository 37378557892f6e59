// The daemon's TOML configuration (fixnetd --config FILE.toml; docs/rpc.md, "Operator control" and
// "Routing by service"):
//
//   [[rpc.policy]]
//   engine = "ratelimit"          # a built-in policy or a plugin path
//   config = "rate=1000 burst=50"  # optional
//
//   [[rpc.route]]
//   service = "hotel.Geo"         # calls to this proto service …
//   peer = "10.0.0.2:7000"        # … go to the peer service there (as fixnetd --route)
//
// Each policy is attached to every application as it connects, in file order.
#pragma once

#include <filesystem>
#include <vector>

#include "rpc/call_routes.h"
#include "rpc/service.h"

namespace fixnet::rpc {

struct ConfigFile {
  std::vector<PolicySpec> policies;
  std::vector<ServiceRoute> routes;
};

// Throws InputError "FILE:LINE:COLUMN: problem" for bad TOML, and naming the key for a bad entry.
ConfigFile read_config_file(const std::filesystem::path& file);

}  // namespace fixnet::rpc
