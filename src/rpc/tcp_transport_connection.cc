#include "rpc/tcp_transport_connection.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/error.h"
#include "net/system_error.h"

namespace fixnet::rpc {

namespace {

constexpr size_t kMaxIov = 256;  // frames, or a marshalled message's pieces, per sendmsg

}  // namespace

void FramedConnection::queue(const FrameHeader& header, std::span<const uint8_t> payload, uint64_t tag) {
  out_.push_back(OutFrame{encode_frame_header(header), {}, {payload}, payload.size(), 0, tag, nullptr});
}

void FramedConnection::queue(const FrameHeader& header, std::vector<std::span<const uint8_t>> pieces, uint64_t tag,
                             std::shared_ptr<const void> keep) {
  uint64_t bytes = 0;
  for (const auto& p : pieces) bytes += p.size();
  out_.push_back(OutFrame{encode_frame_header(header), {}, std::move(pieces), bytes, 0, tag, std::move(keep)});
}

void FramedConnection::queue_owned(const FrameHeader& header, std::string payload) {
  FrameHeader h = header;
  h.payload_length = payload.size();
  out_.push_back(OutFrame{encode_frame_header(h), std::move(payload), {}, 0, 0, kNoOffset, nullptr});
  OutFrame& f = out_.back();
  f.payload = {std::span(reinterpret_cast<const uint8_t*>(f.owned.data()), f.owned.size())};
  f.payload_bytes = f.owned.size();
}

void FramedConnection::flush(std::vector<uint64_t>& sent) {
  while (!out_.empty()) {
    iovec iov[kMaxIov];
    size_t n = 0;
    for (auto it = out_.begin(); it != out_.end() && n < kMaxIov; ++it) {
      uint64_t skip = it->sent;  // what the kernel already took of this frame
      auto add = [&](const uint8_t* data, uint64_t length) {
        if (n == kMaxIov || length == 0) return;
        if (skip >= length) {
          skip -= length;
          return;
        }
        iov[n++] = {const_cast<uint8_t*>(data) + skip, length - skip};
        skip = 0;
      };
      add(it->header.data(), kFrameHeaderBytes);
      for (const auto& piece : it->payload) add(piece.data(), piece.size());
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = n;
    const ssize_t wrote = ::sendmsg(socket_.get(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (wrote < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      net::throw_system_error("sendmsg", "a peer connection");
    }
    uint64_t left = static_cast<uint64_t>(wrote);
    while (!out_.empty()) {
      OutFrame& f = out_.front();
      const uint64_t take = std::min(left, kFrameHeaderBytes + f.payload_bytes - f.sent);
      f.sent += take;
      left -= take;
      if (f.sent < kFrameHeaderBytes + f.payload_bytes) break;
      if (f.tag != kNoOffset) sent.push_back(f.tag);
      out_.pop_front();
    }
  }
}

void FramedConnection::abandon(std::vector<uint64_t>& tags) {
  for (const auto& f : out_)
    if (f.tag != kNoOffset) tags.push_back(f.tag);
  out_.clear();
}

std::optional<FrameReader::Step> FramedConnection::read_step() {
  if (staged_begin_ == staged_end_) {
    if (std::exchange(drained_, false)) return std::nullopt;
    const auto space = reader_.space();
    const bool direct = space.size() >= kStagingBytes;  // a large payload: no copy
    uint8_t* into = direct ? space.data() : staging_.get();
    const size_t want = direct ? space.size() : kStagingBytes;
    const ssize_t n = ::recv(socket_.get(), into, want, MSG_DONTWAIT);
    if (n == 0)
      throw EnvironmentError(reader_.idle() ? "the peer closed the connection" : "the peer closed the connection mid-frame");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::nullopt;
      net::throw_system_error("recv", "a peer connection");
    }
    drained_ = static_cast<size_t>(n) < want;
    if (direct) return reader_.advance(static_cast<size_t>(n));
    staged_begin_ = 0;
    staged_end_ = static_cast<size_t>(n);
  }
  const auto space = reader_.space();
  const size_t n = std::min(space.size(), staged_end_ - staged_begin_);
  std::memcpy(space.data(), staging_.get() + staged_begin_, n);
  staged_begin_ += n;
  return reader_.advance(n);
}

std::vector<std::span<const uint8_t>> wire_pieces(DatapathContext& context, const WirePayload& wire) {
  std::vector<std::span<const uint8_t>> pieces;
  pieces.reserve(wire.pieces.size());
  for (const auto& p : wire.pieces)
    pieces.push_back(p.heap ? context.request_bytes(p.offset, p.length)
                            : std::span(reinterpret_cast<const uint8_t*>(wire.made.data()) + p.offset, p.length));
  return pieces;
}

FrameHeader hello_header(const SchemaHash& ours) {
  FrameHeader h;
  h.kind = FrameKind::kHello;
  h.schema_hash = ours;
  return h;
}

std::optional<std::string> hello_mismatch(const FrameHeader& peer, const SchemaHash& ours) {
  if (peer.kind != FrameKind::kHello) return "expected a Hello frame first";
  if (peer.schema_hash != ours)
    return "schema hash mismatch: peer has " + hex(peer.schema_hash) + ", this service has " + hex(ours);
  return std::nullopt;  // the version was checked by decode_frame_header
}

}  // namespace fixnet::rpc
