// Between fixnet's messages and statuses and gRPC's (docs/rpc.md, "gRPC interop", has the tables):
// a marshalled message (WirePayload) into a grpc::ByteBuffer, a ByteBuffer into a receive buffer,
// and the status mappings both ways.
#pragma once

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string_view>

#include "rpc/engine.h"

namespace fixnet::rpc {

// The message's protobuf bytes in one gRPC slice (one copy: gRPC owns what it sends, and the
// application may reuse its send buffer as soon as it is returned).
grpc::ByteBuffer to_byte_buffer(DatapathContext& context, const WirePayload& wire);
grpc::ByteBuffer to_byte_buffer(std::span<const uint8_t> bytes);
// The bytes of `buffer` copied into a new receive buffer, or nullopt when the receive heap is full.
std::optional<ReplyBuffer> to_receive_buffer(DatapathContext& context, const grpc::ByteBuffer& buffer);

// The status a gRPC caller gets for a fixnet failure. `request_refused`: the serving side's marshaller
// refused the caller's request bytes (the caller's fault: INVALID_ARGUMENT), not the application's
// reply (the service's side: INTERNAL).
// An application status (a handler failed the call) maps to its gRPC code with the application's
// `message`.
grpc::Status to_grpc_status(Status status, bool request_refused, std::string_view message = {});
// The status a fixnet caller gets for a gRPC one (the codes that name an application status map to it).
Status from_grpc_status(grpc::StatusCode code);

}  // namespace fixnet::rpc
