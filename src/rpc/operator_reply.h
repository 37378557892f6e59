// check_operator_reply: whether a JSON reply from the operator socket has the shape docs/rpc.md
// ("Operator control") gives for its request's `op`, checked field by field before anything uses
// it — `fixnet rpc ctl` prints from it, and a reply is outside input (another fixnetd version, or
// whatever answers at that path). Fuzzed (fuzz/rpc_operator_fuzz.cc, replies half).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace fixnet::rpc {

// Throws InputError naming the first field that is missing or of the wrong type (e.g.
// "applications[0].engines[2].counters.passed is not an unsigned integer"). A reply with `ok`
// false needs only its one-line `error`. Fields the client does not read may be added freely.
void check_operator_reply(const nlohmann::json& reply, std::string_view op);

}  // namespace fixnet::rpc
