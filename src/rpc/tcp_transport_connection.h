// FramedConnection: one non-blocking TCP connection of a transport engine, in frames. Sending is
// scatter-gather: a queued frame is its 64-byte header (copied) and a payload the caller keeps alive
// (an application's send heap: the argument bytes are never copied by us), written with sendmsg
// until the kernel took all of it; flush() then hands back the frame's tag, so the caller releases
// the buffer only after the kernel has the bytes. Receiving goes through a FrameReader.
// Used by both TCP engines; one thread (the engine's runtime) at a time.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/unique_fd.h"
#include "rpc/engine.h"
#include "rpc/engine_state_codec.h"
#include "rpc/tcp_transport_frame.h"

namespace fixnet::rpc {

class FramedConnection {
 public:
  FramedConnection(net::UniqueFd socket, uint64_t max_payload) : socket_(std::move(socket)), reader_(max_payload) {}

  int fd() const { return socket_.get(); }
  FrameReader& reader() { return reader_; }

  // Queues a frame whose payload stays valid (and unchanged by us) until flush() returns `tag`
  // (kNoOffset: nobody waits for this frame).
  void queue(const FrameHeader& header, std::span<const uint8_t> payload, uint64_t tag);
  // The same for a payload in pieces (a marshalled message: made bytes and send-heap ranges), sent
  // with one sendmsg; `keep` holds the made bytes alive until the frame is sent.
  void queue(const FrameHeader& header, std::vector<std::span<const uint8_t>> pieces, uint64_t tag,
             std::shared_ptr<const void> keep);
  // Queues a frame whose payload is a short text we own (Hello, Error).
  void queue_owned(const FrameHeader& header, std::string payload);
  // Writes what the kernel takes now; appends the tags of frames it took completely to `sent`.
  // Throws EnvironmentError when the connection failed.
  void flush(std::vector<uint64_t>& sent);
  bool wants_write() const { return !out_.empty(); }
  // Bytes of the frame at the head of the send queue the kernel took (0: none begun) — with the
  // reader's received(), what an operator sees of a frame cut in half (a peer that stopped reading).
  uint64_t sending() const { return out_.empty() ? 0 : out_.front().sent; }
  // recv system calls on this connection's socket since it was made or moved here: what an idle
  // connection costs its runtime (nothing, once epoll says it has nothing).
  uint64_t recv_calls() const { return recv_calls_; }
  // The connection is being dropped: the tags of frames never completely sent (their buffers are
  // free again once the socket is closed: the kernel copied what it took).
  void abandon(std::vector<uint64_t>& tags);

  // One step of the reader: nullopt when nothing is there now. Throws EnvironmentError when the
  // peer closed or the socket failed, InputError for a malformed header.
  // Small frames arrive through a staging buffer: one recv takes a header and its payload (and the
  // frames behind it), where reading into the reader's space took one recv for the header, one for
  // the payload and one more to learn the socket was empty. A recv that returned less than asked
  // is taken to have emptied the socket: the next step says "nothing now" without asking the
  // kernel again (what arrives meanwhile is seen on the next pass, or wakes the runtime's epoll,
  // which is level-triggered). Payloads bigger than the buffer are still read straight into place.
  // `may_have_data` false (the runtime's epoll saw nothing ready): only staged bytes are read.
  std::optional<FrameReader::Step> read_step(bool may_have_data = true);

  // Moving the connection to a successor engine (docs/rpc.md, "Upgrading a transport"): save()
  // writes the socket's number (not its ownership), the frames not yet completely sent (their
  // send-heap pieces as offsets, other bytes copied), the staged bytes not yet read and the reader's
  // progress. load() reads that back into a connection that does not own the socket yet; the
  // successor adopt_socket()s it once its whole restore succeeded, and the predecessor then
  // release_socket()s it (so exactly one closes it; after a failed restore the old one keeps it).
  // A reader mid-payload needs its owner's choice of destination again (FrameReader::resume).
  void save(StateWriter& out, std::span<const uint8_t> send_heap) const;
  static std::unique_ptr<FramedConnection> load(StateReader& in, std::span<const uint8_t> send_heap,
                                                uint64_t max_payload, FrameReader::Step& reader_step);
  void adopt_socket() { socket_.reset(adoptable_fd_); }
  void release_socket() { (void)socket_.release(); }

 private:
  struct OutFrame {
    FrameHeaderBytes header;
    std::string owned;
    std::vector<std::span<const uint8_t>> payload;
    uint64_t payload_bytes = 0;
    uint64_t sent = 0;  // bytes of header + payload the kernel took
    uint64_t tag = kNoOffset;
    std::shared_ptr<const void> keep;
  };

  static constexpr size_t kStagingBytes = 16384;

  net::UniqueFd socket_;
  FrameReader reader_;
  std::deque<OutFrame> out_;
  std::unique_ptr<uint8_t[]> staging_ = std::make_unique<uint8_t[]>(kStagingBytes);
  size_t staged_begin_ = 0, staged_end_ = 0;  // received, not yet given to the reader
  uint64_t recv_calls_ = 0;
  bool drained_ = false;                      // the last recv was short: the socket is (likely) empty
  int adoptable_fd_ = -1;                     // load(): the predecessor's socket, until adopt_socket()
};

// Why a peer's Hello is refused, or nullopt when it matches ours (same version, same schema hash).
std::optional<std::string> hello_mismatch(const FrameHeader& peer, const SchemaHash& ours);
FrameHeader hello_header(const SchemaHash& ours);
// The iovec pieces of a marshalled payload: made bytes and send-heap ranges.
std::vector<std::span<const uint8_t>> wire_pieces(DatapathContext& context, const WirePayload& wire);

}  // namespace fixnet::rpc
