// The RPC descriptor, version 1: the 64-byte record an application and the service exchange on the
// shared-memory queues (layout and rules: docs/rpc.md). Host byte order — both ends are on one
// machine. The service validates a private *copy* of every descriptor it pops, with
// validate_descriptor(); nothing else of a descriptor is trusted.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <cstring>
#include <string_view>

#include "net/descriptor_queue.h"

namespace fixnet::rpc {

inline constexpr uint8_t kDescriptorVersion = 1;
inline constexpr uint64_t kNoOffset = ~uint64_t{0};

// A schema hash (rpc/schema.h): all zero for raw-bytes connections without a schema.
using SchemaHash = std::array<uint8_t, 32>;
std::string hex(const SchemaHash& hash);

enum class Kind : uint8_t { kRequest = 1, kRelease = 2, kReply = 3 };

enum class Status : uint16_t {
  kOk = 0,
  kBadDescriptor = 1,
  kOutOfBounds = 2,
  kTooLarge = 3,
  kUnknownMethod = 4,
  kNoReceiveSpace = 5,
  kTransportError = 6,
  kPeerRefused = 7,
  kBadMessage = 8,  // a message that does not fit its schema: a bad layout, or wire bytes that do not decode
  kDenied = 9,      // an access-control policy refused the call's arguments
  kRateLimited = 10,  // a rate limit in reject mode refused the call
  // 64…127: a serving application's own answer — its handler failed the call (rpc::Server::fail,
  // rpc::stub::StatusError). The service carries them to the caller as they are; these have names:
  kNotFound = 64,
  kInvalidArgument = 65,
  kAlreadyExists = 66,
  kPermissionDenied = 67,
  kFailedPrecondition = 68,
  kUnavailable = 69,
  kInternal = 70,  // the handler threw something else than a status (the server went on serving)
};
inline constexpr uint16_t kFirstApplicationStatus = 64, kLastApplicationStatus = 127;
inline bool is_application_status(Status s) {
  return static_cast<uint16_t>(s) >= kFirstApplicationStatus && static_cast<uint16_t>(s) <= kLastApplicationStatus;
}
std::string_view status_text(Status status);

struct Descriptor {
  uint8_t version = kDescriptorVersion;
  Kind kind = Kind::kRequest;
  Status status = Status::kOk;
  uint32_t method = 0;
  uint64_t call_id = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t done_offset = 0;
  uint8_t reserved[24] = {};
};
static_assert(sizeof(Descriptor) == 64 && alignof(Descriptor) <= 64);

inline net::QueueSlot to_slot(const Descriptor& d) {
  net::QueueSlot slot;
  std::memcpy(slot.bytes.data(), &d, sizeof d);
  return slot;
}
// Any 64 bytes make a Descriptor (every field is a plain integer); whether it means anything is
// validate_descriptor's question.
inline Descriptor from_slot(const net::QueueSlot& slot) {
  Descriptor d;
  std::memcpy(&d, slot.bytes.data(), sizeof d);
  return d;
}

// What the service knows about one application's memory when it checks a descriptor.
struct DescriptorLimits {
  uint64_t send_heap_bytes = 0;
  uint64_t receive_heap_bytes = 0;
  uint64_t max_message_bytes = 0;
  bool serving = false;  // a serving application posts Replies (its answers) instead of Requests
};

// kOk when `d` (a private copy) is a well-formed application → service descriptor: version 1, kind
// Request (Reply when serving: the same checks) or Release, done_offset and reserved zero, status 0
// (a serving application's Reply may carry an application status: its bytes are then a message for
// the caller, not a reply of its schema); a Request's [offset, offset + length)
// inside the send heap and length <= max_message_bytes; a Release's offset inside the receive heap
// (whether it names a live reply is the datapath's question). Otherwise the status to answer with.
Status validate_descriptor(const Descriptor& d, const DescriptorLimits& limits);

}  // namespace fixnet::rpc
