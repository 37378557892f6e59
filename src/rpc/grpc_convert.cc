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

namespace {

// The named application statuses and their gRPC codes. `back`: a gRPC code that maps back to the
// application status (INVALID_ARGUMENT, UNAVAILABLE and INTERNAL keep their transport meanings).
struct ApplicationCode {
  Status fixnet;
  grpc::StatusCode grpc;
  bool back;
};
constexpr ApplicationCode kApplicationCodes[] = {
    {Status::kNotFound, grpc::StatusCode::NOT_FOUND, true},
    {Status::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT, false},
    {Status::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS, true},
    {Status::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED, true},
    {Status::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION, true},
    {Status::kUnavailable, grpc::StatusCode::UNAVAILABLE, false},
    {Status::kInternal, grpc::StatusCode::INTERNAL, false},
};

}  // namespace

grpc::Status to_grpc_status(Status status, bool request_refused, std::string_view message) {
  const std::string text(status_text(status));
  if (is_application_status(status)) {
    const std::string why = message.empty() ? text : std::string(message);
    for (const ApplicationCode& a : kApplicationCodes)
      if (a.fixnet == status) return grpc::Status(a.grpc, why);
    return grpc::Status(grpc::StatusCode::UNKNOWN, why);
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
  // Codes only a server's handler gives: the application statuses of the same meaning.
  for (const ApplicationCode& a : kApplicationCodes)
    if (a.back && a.grpc == code) return a.fixnet;
  switch (code) {
    case grpc::StatusCode::OK:
      return Status::kOk;
    case grpc::StatusCode::UNIMPLEMENTED:
      return Status::kUnknownMethod;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return Status::kBadMessage;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return Status::kTooLarge;
    default:
      // UNAVAILABLE, CANCELLED, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN, …: the call did not complete
      // remotely; the engine logs gRPC's code and message.
      return Status::kTransportError;
  }
}

}  // namespace fixnet::rpc
