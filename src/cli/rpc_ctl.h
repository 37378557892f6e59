// `fixnet rpc ctl`: added to the `rpc` command by cmd_rpc.cc; sets `action` when it was chosen.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace fixnet::cli {

void add_rpc_ctl(CLI::App& rpc, std::function<int()>& action);

}  // namespace fixnet::cli
