// The operator's side of the control socket (docs/rpc.md, "Operator control"): one JSON request,
// one JSON reply, over the service's SOCK_SEQPACKET operator socket. Used by `fixnet rpc ctl`.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

namespace fixnet::rpc {

// Sends `request` and returns the reply, checked against the shape its `op` asks for
// (operator_reply.h). Throws EnvironmentError when nothing listens at `socket` or the service hangs
// up, InputError naming `socket` when the reply is not JSON or malformed.
nlohmann::json operator_request(const std::filesystem::path& socket, const nlohmann::json& request);

}  // namespace fixnet::rpc
