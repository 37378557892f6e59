// The TCP transport engines (docs/rpc.md, "TCP transport"), built in as two engine plugins:
//   "tcp-client" (config "HOST:PORT [SERVICE]"): the transport of an application's datapath whose
//     calls go to a remote service — one connection per datapath, requests sent from the send heap
//     with sendmsg, replies read straight into the application's receive heap;
//   "tcp-server" (no config): the transport of a serving application's datapath — it takes the peer
//     connections the service hands its datapath (DatapathContext::handed_peers) and delivers their
//     requests.
// Both use non-blocking sockets the runtime watches (DatapathContext::watch).
#pragma once

#include <chrono>

#include "rpc/engine.h"

namespace fixnet::rpc {

// After a connection to the peer fails, requests fail at once for this long instead of each
// waiting on a new connect; the first request after it reconnects.
inline constexpr std::chrono::milliseconds kReconnectBackoff{100};
// Requests on one connection awaiting replies; more wait in the engine, unsent.
inline constexpr size_t kMaxInFlightPerConnection = 1024;

const fixnet_rpc_engine_plugin* builtin_tcp_client_engine();
const fixnet_rpc_engine_plugin* builtin_tcp_server_engine();

}  // namespace fixnet::rpc
