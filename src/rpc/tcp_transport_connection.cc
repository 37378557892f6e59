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

std::optional<FrameReader::Step> FramedConnection::read_step(bool may_have_data) {
  if (staged_begin_ == staged_end_) {
    if (std::exchange(drained_, false) || !may_have_data) return std::nullopt;
    const auto space = reader_.space();
    const bool direct = space.size() >= kStagingBytes;  // a large payload: no copy
    uint8_t* into = direct ? space.data() : staging_.get();
    const size_t want = direct ? space.size() : kStagingBytes;
    ++recv_calls_;
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

// Layout: i32 fd · u64 frames, each: 64 header bytes, u64 sent, u64 tag, u64 pieces, each: u8 1 =
// send-heap offset (u64 offset, u64 length) or 0 = bytes (u64 length, bytes) · staged bytes (u64
// length, bytes) · u8 drained · reader: u8 phase, 64 header bytes, u64 filled, payload (u64, bytes).
void FramedConnection::save(StateWriter& out, std::span<const uint8_t> send_heap) const {
  out.put<int32_t>(socket_.get());
  out.put<uint64_t>(out_.size());
  for (const OutFrame& f : out_) {
    out.put(f.header), out.put(f.sent), out.put(f.tag);
    out.put<uint64_t>(f.payload.size());
    for (const auto& piece : f.payload) {
      const bool in_heap = !piece.empty() && piece.data() >= send_heap.data() &&
                           piece.data() + piece.size() <= send_heap.data() + send_heap.size();
      out.put<uint8_t>(in_heap ? 1 : 0);
      if (in_heap) {
        out.put<uint64_t>(piece.data() - send_heap.data()), out.put<uint64_t>(piece.size());
      } else {
        out.put_bytes(piece);
      }
    }
  }
  out.put_bytes({staging_.get() + staged_begin_, staged_end_ - staged_begin_});
  out.put<uint8_t>(drained_);
  const FrameReader::Progress p = reader_.progress();
  out.put(p.phase), out.put(p.header_bytes), out.put(p.filled), out.put_bytes(p.payload);
}

std::unique_ptr<FramedConnection> FramedConnection::load(StateReader& in, std::span<const uint8_t> send_heap,
                                                         uint64_t max_payload, FrameReader::Step& reader_step) {
  auto c = std::make_unique<FramedConnection>(net::UniqueFd(), max_payload);
  c->adoptable_fd_ = in.get<int32_t>();
  if (c->adoptable_fd_ < 0) in.fail("a connection without a socket");
  for (uint64_t i = 0, frames = in.get_count(kFrameHeaderBytes + 24); i < frames; ++i) {
    OutFrame& f = c->out_.emplace_back();
    f.header = in.get<FrameHeaderBytes>();
    f.sent = in.get<uint64_t>(), f.tag = in.get<uint64_t>();
    struct Piece {
      bool heap;
      uint64_t offset, length;
    };
    std::vector<Piece> pieces(in.get_count(9));
    for (Piece& p : pieces) {
      p.heap = in.get<uint8_t>() != 0;
      if (p.heap) {
        p.offset = in.get<uint64_t>(), p.length = in.get<uint64_t>();
        if (p.offset > send_heap.size() || p.length > send_heap.size() - p.offset) in.fail("a piece outside the send heap");
      } else {
        const auto bytes = in.get_bytes(max_payload);
        p.offset = f.owned.size(), p.length = bytes.size();
        f.owned.append(bytes.begin(), bytes.end());
      }
    }
    // The owned bytes are complete (and the frame in place in the deque): now spans into them hold.
    for (const Piece& p : pieces) {
      const uint8_t* base = p.heap ? send_heap.data() : reinterpret_cast<const uint8_t*>(f.owned.data());
      f.payload.emplace_back(base + p.offset, p.length);
      f.payload_bytes += p.length;
    }
    if (f.sent > kFrameHeaderBytes + f.payload_bytes) in.fail("a frame sent past its end");
  }
  const auto staged = in.get_bytes(kStagingBytes);
  std::memcpy(c->staging_.get(), staged.data(), staged.size());
  c->staged_end_ = staged.size();
  c->drained_ = in.get<uint8_t>() != 0;
  FrameReader::Progress p;
  p.phase = in.get<FrameReader::Phase>();
  if (p.phase > FrameReader::Phase::kDiscard) in.fail("an unknown reader phase");
  p.header_bytes = in.get<FrameHeaderBytes>();
  p.filled = in.get<uint64_t>();
  const auto payload = in.get_bytes(max_payload);
  p.payload.assign(payload.begin(), payload.end());
  try {
    reader_step = c->reader_.resume(p);
  } catch (const InputError& e) {
    in.fail(std::string("its frame reader: ") + e.what());
  }
  return c;
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
