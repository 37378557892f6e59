#include "rpc/grpc_convert.h"

#include <cstring>
#include <string>

namespace fixnet::rpc {

grpc::ByteBuffer to_byte_buffer(DatapathContext& context, const WirePayload& wire) {
  grpc::Slice slice(static_cast<size_t>(wire.length));
  auto* out = const_cast<uint8_t*>(slice.begin());  // a fresh slice of ours, not yet shared
  const auto heap = context.send_heap();
  uint64_t at = 0;
  for (const WirePayload::Piece& p : wire.pieces) {
    // The marshaller checked every heap range when it made the pieces.
    const uint8_t* from =
        p.heap ? heap.data() + p.offset : reinterpret_cast<const uint8_t*>(wire.made.data()) + p.offset;
    std::memcpy(out + at, from, p.length);
    at += p.length;
  }
  return grpc::ByteBuffer(&slice, 1);
}

grpc::ByteBuffer to_byte_buffer(std::span<const uint8_t> bytes) {
  grpc::Slice slice(bytes.data(), bytes.size());
  return grpc::ByteBuffer(&slice, 1);
}

std::optional<ReplyBuffer> to_receive_buffer(DatapathContext& context, const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Valid()) return context.allocate_reply(0);
  (void)buffer.Dump(&slices);
  auto out = context.allocate_reply(buffer.Length());
  if (!out) return std::nullopt;
  size_t at = 0;
  for (const grpc::Slice& s : slices) {
    std::memcpy(out->bytes.data() + at, s.begin(), s.size());
    at += s.size();
  }
  return out;
}

grpc::Status to_grpc_status(Status status, bool request_refused, std::string_view message) {
  const std::string text(status_text(status));
  if (is_application_status(status)) {
    const std::string why = message.empty() ? text : std::string(message);
    switch (status) {
      case Status::kNotFound: return grpc::Status(grpc::StatusCode::NOT_FOUND, why);
      case Status::kInvalidArgument: return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, why);
      case Status::kAlreadyExists: return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, why);
      case Status::kPermissionDenied: return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, why);
      case Status::kFailedPrecondition: return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, why);
      case Status::kUnavailable: return grpc::Status(grpc::StatusCode::UNAVAILABLE, why);
      case Status::kInternal: return grpc::Status(grpc::StatusCode::INTERNAL, why);
      default: return grpc::Status(grpc::StatusCode::UNKNOWN, why);
    }
  }
  switch (status) {
    case Status::kOk:
      return grpc::Status::OK;
    case Status::kBadMessage:
      return request_refused
                 ? grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                "the request bytes do not parse as the method's request type: " + text)
                 : grpc::Status(grpc::StatusCode::INTERNAL,
                                "the serving application's reply did not fit its schema: " + text);
    case Status::kUnknownMethod:
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, text);
    case Status::kTooLarge:
    case Status::kNoReceiveSpace:
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, text);
    case Status::kTransportError:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, text);
    default:
      return grpc::Status(grpc::StatusCode::INTERNAL, text);
  }
}

Status from_grpc_status(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return Status::kOk;
    case grpc::StatusCode::UNIMPLEMENTED:
      return Status::kUnknownMethod;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return Status::kBadMessage;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return Status::kTooLarge;
    // The server's handler said so: the application statuses of the same meaning.
    case grpc::StatusCode::NOT_FOUND:
      return Status::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS:
      return Status::kAlreadyExists;
    case grpc::StatusCode::PERMISSION_DENIED:
      return Status::kPermissionDenied;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return Status::kFailedPrecondition;
    default:
      // UNAVAILABLE, CANCELLED, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN, …: the call did not complete
      // remotely; the engine logs gRPC's code and message.
      return Status::kTransportError;
  }
}

}  // namespace fixnet::rpc
