// The gRPC transport engines (docs/rpc.md, "gRPC interop"), built in as two engine plugins; both
// take the id of their service's GrpcInterop (grpc_interop.h) as config:
//   "grpc-client" (config "ID"): the transport of calling applications with `fixnetd --grpc-peer`:
//     each call goes to the gRPC server as `/package.Service/Method` (from the application's schema),
//     its marshalled request as the message; the gRPC status becomes the reply's status;
//   "grpc-server" (config "ID" or "ID FD"): the transport of serving applications with `fixnetd
//     --grpc-listen`: calls the interop resolved to this application's schema are delivered like a
//     peer service's requests, and answered as gRPC responses. With FD (the `--listen` socket) it
//     also carries a tcp-server engine inside, so one serving application answers both.
// Neither ever blocks: gRPC's completion-queue thread hands calls over through mailboxes whose
// eventfds the datapath watches (DatapathContext::watch).
#pragma once

#include <cstdint>

#include "rpc/engine.h"

namespace fixnet::rpc {

// Call ids the grpc-server engine gives gRPC calls (toward the application): the top bit set, so
// they never meet the ids of the tcp-server engine it may carry (which count from 1).
inline constexpr uint64_t kGrpcCallBit = uint64_t{1} << 63;

const fixnet_rpc_engine_plugin* builtin_grpc_client_engine();
const fixnet_rpc_engine_plugin* builtin_grpc_server_engine();

}  // namespace fixnet::rpc
