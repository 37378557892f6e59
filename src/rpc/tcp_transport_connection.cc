#include "rpc/tcp_transport_connection.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>

#include "core/error.h"
#include "net/system_error.h"

namespace fixnet::rpc {

namespace {

constexpr size_t kMaxIov = 64;  // 32 frames per sendmsg

}  // namespace

void FramedConnection::queue(const FrameHeader& header, std::span<const uint8_t> payload, uint64_t tag) {
  out_.push_back(OutFrame{encode_frame_header(header), {}, payload, 0, tag});
}

void FramedConnection::queue_owned(const FrameHeader& header, std::string payload) {
  FrameHeader h = header;
  h.payload_length = payload.size();
  out_.push_back(OutFrame{encode_frame_header(h), std::move(payload), {}, 0, kNoOffset});
  OutFrame& f = out_.back();
  f.payload = std::span(reinterpret_cast<const uint8_t*>(f.owned.data()), f.owned.size());
}

void FramedConnection::flush(std::vector<uint64_t>& sent) {
  while (!out_.empty()) {
    iovec iov[kMaxIov];
    size_t n = 0;
    for (auto it = out_.begin(); it != out_.end() && n + 2 <= kMaxIov; ++it) {
      const uint64_t skip_header = std::min<uint64_t>(it->sent, kFrameHeaderBytes);
      if (skip_header < kFrameHeaderBytes)
        iov[n++] = {it->header.data() + skip_header, kFrameHeaderBytes - skip_header};
      const uint64_t skip_payload = it->sent - skip_header;
      if (skip_payload < it->payload.size())
        iov[n++] = {const_cast<uint8_t*>(it->payload.data()) + skip_payload, it->payload.size() - skip_payload};
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
      const uint64_t take = std::min(left, kFrameHeaderBytes + f.payload.size() - f.sent);
      f.sent += take;
      left -= take;
      if (f.sent < kFrameHeaderBytes + f.payload.size()) break;
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
  const auto space = reader_.space();
  const ssize_t n = ::recv(socket_.get(), space.data(), space.size(), MSG_DONTWAIT);
  if (n > 0) return reader_.advance(static_cast<size_t>(n));
  if (n == 0)
    throw EnvironmentError(reader_.idle() ? "the peer closed the connection" : "the peer closed the connection mid-frame");
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::nullopt;
  net::throw_system_error("recv", "a peer connection");
}

FrameHeader hello_header(const SchemaHash& ours) {
  FrameHeader h;
  h.kind = FrameKind::kHello;
  h.schema_hash = ours;
  return h;
}

std::string hex(const SchemaHash& hash) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : hash) out += {digits[b >> 4], digits[b & 15]};
  return out;
}

std::optional<std::string> hello_mismatch(const FrameHeader& peer, const SchemaHash& ours) {
  if (peer.kind != FrameKind::kHello) return "expected a Hello frame first";
  if (peer.schema_hash != ours)
    return "schema hash mismatch: peer has " + hex(peer.schema_hash) + ", this service has " + hex(ours);
  return std::nullopt;  // the version was checked by decode_frame_header
}

}  // namespace fixnet::rpc
