#include "rpc/tcp_transport_frame.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "rpc/service_name.h"

namespace fixnet::rpc {

namespace {

constexpr uint8_t kMagic[4] = {'F', 'X', 'R', 'F'};

// The wire is little-endian whatever the host is.
template <typename T>
void put(uint8_t* at, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) at[i] = static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i));
}

template <typename T>
T get(const uint8_t* at) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= uint64_t{at[i]} << (8 * i);
  return static_cast<T>(v);
}

}  // namespace

// Layout: 0 magic "FXRF" · 4 u16 version · 6 u8 kind · 7 u8 reserved · 8 u16 status · 10 u16 reserved
// · 12 u32 method · 16 u64 call id · 24 u64 payload length · 32 schema hash (32 bytes).
FrameHeaderBytes encode_frame_header(const FrameHeader& h) {
  FrameHeaderBytes out{};
  std::memcpy(out.data(), kMagic, 4);
  put<uint16_t>(&out[4], h.version);
  out[6] = static_cast<uint8_t>(h.kind);
  put<uint16_t>(&out[8], static_cast<uint16_t>(h.status));
  put<uint32_t>(&out[12], h.method);
  put<uint64_t>(&out[16], h.call_id);
  put<uint64_t>(&out[24], h.payload_length);
  std::memcpy(&out[32], h.schema_hash.data(), 32);
  return out;
}

FrameHeader decode_frame_header(std::span<const uint8_t, kFrameHeaderBytes> b, uint64_t max_payload) {
  if (std::memcmp(b.data(), kMagic, 4) != 0)
    throw FrameError("frame does not start with the magic \"FXRF\"", 0, Status::kBadDescriptor);
  FrameHeader h;
  h.call_id = get<uint64_t>(&b[16]);
  auto refuse = [&](const std::string& why, Status status = Status::kBadDescriptor) {
    throw FrameError(why, h.call_id, status);
  };
  h.version = get<uint16_t>(&b[4]);
  if (h.version != kFrameVersion)
    refuse("frame version " + std::to_string(h.version) + "; this service speaks version " +
                     std::to_string(kFrameVersion));
  const uint8_t kind = b[6];
  if (kind < 1 || kind > 4) refuse("unknown frame kind " + std::to_string(kind));
  h.kind = static_cast<FrameKind>(kind);
  if (b[7] != 0 || b[10] != 0 || b[11] != 0) refuse("frame has non-zero reserved bytes");
  h.status = static_cast<Status>(get<uint16_t>(&b[8]));
  h.method = get<uint32_t>(&b[12]);
  h.payload_length = get<uint64_t>(&b[24]);
  std::memcpy(h.schema_hash.data(), &b[32], 32);
  const uint64_t limit = h.kind == FrameKind::kError   ? kMaxErrorText
                         : h.kind == FrameKind::kHello ? kMaxServiceName  // the service the peer calls
                                                       : max_payload;
  if (h.payload_length > limit)
    refuse("frame payload of " + std::to_string(h.payload_length) + " bytes exceeds the limit of " +
               std::to_string(limit), Status::kTooLarge);
  return h;
}

std::span<uint8_t> FrameReader::space() {
  switch (state_) {
    case State::kHeader: return std::span(header_bytes_).subspan(filled_);
    case State::kPayload: return destination_.subspan(filled_);
    case State::kDiscard:
      return std::span(scratch_).first(std::min<uint64_t>(scratch_.size(), header_.payload_length - filled_));
    case State::kDecided: break;
  }
  return {};  // kHeader was returned and the owner has not decided yet
}

FrameReader::Step FrameReader::advance(size_t n) {
  filled_ += n;
  if (state_ == State::kHeader) {
    if (filled_ < kFrameHeaderBytes) return Step::kMore;
    header_ = decode_frame_header(header_bytes_, max_payload_);
    state_ = State::kDecided;
    filled_ = 0;
    return Step::kHeader;
  }
  if (filled_ < header_.payload_length) return Step::kMore;
  state_ = State::kHeader;
  filled_ = 0;
  return Step::kFrame;
}

FrameReader::Step FrameReader::finish_if_complete() {
  if (filled_ < header_.payload_length) return Step::kMore;
  state_ = State::kHeader;
  filled_ = 0;
  return Step::kFrame;
}

FrameReader::Step FrameReader::accept(std::span<uint8_t> destination) {
  destination_ = destination.first(header_.payload_length);
  if (!resumed_.empty()) std::memcpy(destination_.data(), resumed_.data(), resumed_.size());  // never memcpy a null
  filled_ = resumed_.size();
  resumed_.clear();
  state_ = State::kPayload;
  return finish_if_complete();
}

FrameReader::Step FrameReader::discard() {
  filled_ = resumed_.size();
  resumed_.clear();
  state_ = State::kDiscard;
  return finish_if_complete();
}

FrameReader::Progress FrameReader::progress() const {
  Progress p;
  p.header_bytes = header_bytes_;
  p.filled = filled_;
  switch (state_) {
    case State::kHeader: p.phase = Phase::kHeader; break;
    case State::kDecided:  // (only between a kHeader step and the owner's choice) nothing read yet
      p.phase = Phase::kPayload;
      p.payload = resumed_;
      p.filled = resumed_.size();
      break;
    case State::kPayload:
      p.phase = Phase::kPayload;
      p.payload.assign(destination_.begin(), destination_.begin() + static_cast<ptrdiff_t>(filled_));
      break;
    case State::kDiscard: p.phase = Phase::kDiscard; break;
  }
  return p;
}

FrameReader::Step FrameReader::resume(const Progress& p) {
  header_bytes_ = p.header_bytes;
  resumed_.clear();
  if (p.phase == Phase::kHeader) {
    if (p.filled >= kFrameHeaderBytes) throw InputError("a frame header of " + std::to_string(p.filled) + " bytes");
    state_ = State::kHeader;
    filled_ = p.filled;
    return Step::kMore;
  }
  header_ = decode_frame_header(header_bytes_, max_payload_);
  // A frame whose payload had all arrived would have been complete: the predecessor had no such state.
  if (p.filled >= header_.payload_length || (p.phase == Phase::kPayload && p.payload.size() != p.filled))
    throw InputError("a frame of " + std::to_string(header_.payload_length) + " payload bytes with " +
                     std::to_string(p.filled) + " received");
  if (p.phase == Phase::kDiscard) {
    state_ = State::kDiscard;
    filled_ = p.filled;
    return Step::kMore;
  }
  state_ = State::kDecided;
  filled_ = 0;
  resumed_ = p.payload;
  return Step::kHeader;
}

std::string error_text(std::span<const uint8_t> payload) {
  std::string text(payload.begin(), payload.end());
  for (char& c : text)
    if (c < 0x20 || c > 0x7e) c = '?';
  return text;
}

}  // namespace fixnet::rpc
