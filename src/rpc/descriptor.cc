#include "rpc/descriptor.h"

namespace fixnet::rpc {

std::string hex(const SchemaHash& hash) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : hash) out += {digits[b >> 4], digits[b & 15]};
  return out;
}

std::string_view status_text(Status status) {
  switch (status) {
    case Status::kOk: return "ok";
    case Status::kBadDescriptor: return "bad descriptor (version, kind or reserved bytes)";
    case Status::kOutOfBounds: return "message outside the send heap";
    case Status::kTooLarge: return "message longer than the service's limit";
    case Status::kUnknownMethod: return "unknown method";
    case Status::kNoReceiveSpace: return "no space for the reply (release received replies)";
    case Status::kTransportError: return "transport error";
    case Status::kPeerRefused: return "the peer service refused the connection (version or schema mismatch, or it serves no such service)";
    case Status::kBadMessage: return "the message does not fit its schema (layout or wire encoding)";
    case Status::kDenied: return "denied by an access-control policy";
    case Status::kRateLimited: return "refused by a rate limit";
    case Status::kNotFound: return "not found";
    case Status::kInvalidArgument: return "invalid argument";
    case Status::kAlreadyExists: return "already exists";
    case Status::kPermissionDenied: return "permission denied";
    case Status::kFailedPrecondition: return "failed precondition";
    case Status::kUnavailable: return "unavailable";
    case Status::kInternal: return "internal error in the serving application";
  }
  return is_application_status(status) ? "the serving application failed the call" : "unknown status";
}

Status validate_descriptor(const Descriptor& d, const DescriptorLimits& limits) {
  const bool answer_status = d.kind == Kind::kReply && limits.serving && is_application_status(d.status);
  if (d.version != kDescriptorVersion || (d.status != Status::kOk && !answer_status) || d.done_offset != 0)
    return Status::kBadDescriptor;
  for (uint8_t byte : d.reserved)
    if (byte != 0) return Status::kBadDescriptor;
  switch (d.kind) {
    case Kind::kRequest:
    case Kind::kReply:
      if ((d.kind == Kind::kReply) != limits.serving) return Status::kBadDescriptor;
      if (d.length > limits.max_message_bytes) return Status::kTooLarge;
      // Written so that nothing overflows: offset + length is never computed.
      if (d.offset > limits.send_heap_bytes || d.length > limits.send_heap_bytes - d.offset)
        return Status::kOutOfBounds;
      return Status::kOk;
    case Kind::kRelease:
      return d.offset < limits.receive_heap_bytes ? Status::kOk : Status::kOutOfBounds;
  }
  return Status::kBadDescriptor;
}

}  // namespace fixnet::rpc
