// The TCP transport's wire format (docs/rpc.md, "TCP transport"): every frame is a 64-byte header —
// magic, version, kind, status, method, call id, payload length, schema hash; little-endian — then
// `payload_length` bytes. FrameReader assembles frames from a byte stream that arrives in pieces, and
// lets its owner choose where each payload goes (straight into an application's receive heap).
//
// Peer bytes are untrusted: decode_frame_header throws InputError naming what is wrong (magic,
// version, kind, reserved bytes, a length over the limit) before anything is allocated for a frame.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "rpc/descriptor.h"

namespace fixnet::rpc {

inline constexpr uint16_t kFrameVersion = 1;
inline constexpr size_t kFrameHeaderBytes = 64;
inline constexpr size_t kMaxErrorText = 256;  // an Error frame's payload: a reason for humans

enum class FrameKind : uint8_t { kHello = 1, kRequest = 2, kReply = 3, kError = 4 };

struct FrameHeader {
  uint16_t version = kFrameVersion;
  FrameKind kind = FrameKind::kRequest;
  Status status = Status::kOk;  // Error frames only
  uint32_t method = 0;
  uint64_t call_id = 0;
  uint64_t payload_length = 0;
  SchemaHash schema_hash{};
};

using FrameHeaderBytes = std::array<uint8_t, kFrameHeaderBytes>;

// A header refused by decode_frame_header. When the magic was right, call_id is the frame's own, so
// a caller waiting on it can be answered; `status` says why (kTooLarge for a length over the limit).
class FrameError : public InputError {
 public:
  FrameError(const std::string& what, uint64_t call_id, Status status)
      : InputError(what), call_id(call_id), status(status) {}
  uint64_t call_id;
  Status status;
};

FrameHeaderBytes encode_frame_header(const FrameHeader& header);
// Throws FrameError for a wrong magic, a version other than kFrameVersion, an unknown kind, non-zero
// reserved bytes, a payload longer than `max_payload` (or an Error text longer than kMaxErrorText, a
// Hello's service name longer than kMaxServiceName).
FrameHeader decode_frame_header(std::span<const uint8_t, kFrameHeaderBytes> bytes, uint64_t max_payload);

// Reassembles frames from a stream:
//   loop: n = read(fd, reader.space()); switch (reader.advance(n)):
//     kHeader → header() is decoded; call accept(destination) (payload_length bytes) or discard()
//     kFrame  → the payload is complete in the destination (or dropped); the reader starts over
class FrameReader {
 public:
  enum class Step { kMore, kHeader, kFrame };

  explicit FrameReader(uint64_t max_payload) : max_payload_(max_payload) {}

  // Where the next bytes belong (never empty while a frame is incomplete).
  std::span<uint8_t> space();
  // `n` bytes were written into space(). Throws InputError for a bad header.
  Step advance(size_t n);
  const FrameHeader& header() const { return header_; }
  // After kHeader: where the payload goes (exactly payload_length bytes), or drop it. A frame without
  // payload completes here: both then return kFrame, otherwise kMore.
  Step accept(std::span<uint8_t> destination);
  Step discard();
  // True between frames: a peer closing now closes cleanly, not mid-frame.
  bool idle() const { return state_ == State::kHeader && filled_ == 0; }
  // Bytes of the frame being read received so far, header included (0 between frames).
  uint64_t received() const {
    if (state_ == State::kHeader) return filled_;
    return kFrameHeaderBytes + (state_ == State::kDecided ? resumed_.size() : filled_);
  }

  // Where the reader is in the stream, for a successor engine (an upgrade moves the connection):
  // reading a header (its bytes so far), a payload being accepted (the bytes received so far — its
  // destination belongs to the old engine) or discarded (only how many are gone).
  enum class Phase : uint8_t { kHeader = 0, kPayload = 1, kDiscard = 2 };
  struct Progress {
    Phase phase = Phase::kHeader;
    FrameHeaderBytes header_bytes{};
    uint64_t filled = 0;           // header bytes (kHeader) or payload bytes (else) received
    std::vector<uint8_t> payload;  // kPayload: the `filled` bytes
  };
  Progress progress() const;
  // Goes on from a predecessor's progress. Throws InputError when it is inconsistent (a header that
  // does not decode, more bytes than the frame has). Returns kHeader when the owner must choose the
  // payload's destination again — accept() then copies the bytes received so far into it, discard()
  // skips them — and kMore otherwise.
  Step resume(const Progress& progress);

 private:
  enum class State { kHeader, kDecided, kPayload, kDiscard };
  Step finish_if_complete();

  uint64_t max_payload_;
  State state_ = State::kHeader;
  FrameHeaderBytes header_bytes_{};
  FrameHeader header_;
  std::span<uint8_t> destination_;
  uint64_t filled_ = 0;  // of the header, then of the payload
  std::vector<uint8_t> resumed_;  // a predecessor's payload bytes, for the next accept()
  std::array<uint8_t, 4096> scratch_{};  // where discarded payload bytes land
};

// Readable text of an Error frame's payload (non-printable bytes replaced).
std::string error_text(std::span<const uint8_t> payload);

}  // namespace fixnet::rpc
