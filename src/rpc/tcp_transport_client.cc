// The calling side of the TCP transport ("tcp-client"): one connection per datapath to the peer
// service. A connection starts with a Hello each way (ours names the proto service the application
// calls, so the peer hands us to an application serving it); requests wait (unsent) until the peer's Hello
// matched. Wire call ids are this engine's own (an application's ids are never trusted on the wire).
// A request's send buffer goes back with its reply: the kernel took the bytes long before (the peer
// cannot answer a request it has not fully read).
// An upgrade moves the whole connection to the successor (decompose/restore, docs/rpc.md "Upgrading a
// transport"). Compiled twice: into fixnet_rpc as the built-in "tcp-client", and with
// FIXNET_RPC_PLUGIN as fixnet_rpc_tcp_client.so.
#include <sys/epoll.h>

#include <cstring>
#include <deque>
#include <memory>
#include <sstream>
#include <unordered_map>

#include "core/error.h"
#include "net/log.h"
#include "net/tcp.h"
#include "rpc/tcp_transport.h"
#include "rpc/tcp_transport_connection.h"

namespace fixnet::rpc {

namespace {

using Clock = std::chrono::steady_clock;
using net::LogLevel;

constexpr size_t kBudget = 32;
constexpr uint32_t kStateVersion = 2;

class TcpClientEngine final : public Engine {
 public:
  TcpClientEngine(DatapathContext& context, net::TcpAddress peer, std::string service)
      : context_(context), peer_(std::move(peer)), service_(std::move(service)) {}

  const char* name() const override { return "tcp-client"; }

  size_t do_work(EnginePorts& ports) override {
    ports_ = &ports;
    size_t work = 0;
    for (; work < kBudget && !ports.requests_in->empty(); ++work) {
      RpcMessage m = ports.requests_in->front();
      ports.requests_in->pop_front();
      take(m);
    }
    if (connection_) work += pump();
    return work;
  }

  // Everything moves to a successor (docs/rpc.md, "Upgrading a transport"): the connection with its
  // socket, the calls waiting for replies, the requests not sent yet, partial frames both ways and
  // the reconnect backoff — so an upgrade with calls in flight loses and fails none.
  // State v2: u64 replies, failed, unknown replies, connects · u8 state · i64 retry_after (steady clock, ns) ·
  // u64 next call id · u16 receiving status · u64 waiting, each: u64 wire call id, message · u64
  // backlog, each: message · u8 connected, then: u32 watched events, the connection (FramedConnection::save).
  EngineState decompose() override {
    StateWriter out;
    out.put(replies_), out.put(failed_), out.put(unknown_replies_), out.put(connects_);
    out.put(static_cast<uint8_t>(state_));
    out.put<int64_t>(retry_after_.time_since_epoch().count());
    out.put(next_call_id_), out.put(static_cast<uint16_t>(receiving_status_));
    out.put<uint64_t>(waiting_.size());
    for (const auto& [id, m] : waiting_) out.put(id), out.put_message(m);
    out.put<uint64_t>(backlog_.size());
    for (const auto& m : backlog_) out.put_message(m);
    out.put<uint8_t>(connection_ ? 1 : 0);
    if (connection_) out.put(watched_), connection_->save(out, context_.send_heap());
    return std::move(out).finish(kStateVersion);
  }

  // Nothing throws once the state was read (what on_header could refuse is refused while reading):
  // the socket becomes ours last.
  void restore(const EngineState& state) override {
    if (state.version == 1) return restore_counters(state, 1, "tcp-client", {&replies_, &failed_});  // idle predecessor
    require_newest_state(state, kStateVersion, "tcp-client");
    StateReader in(state, "tcp-client");
    const uint64_t heap = context_.send_heap().size();
    replies_ = in.get<uint64_t>(), failed_ = in.get<uint64_t>(), unknown_replies_ = in.get<uint64_t>();
    connects_ = in.get<uint64_t>();
    const uint8_t phase = in.get<uint8_t>();
    if (phase > static_cast<uint8_t>(State::kReady)) in.fail("an unknown connection state");
    state_ = static_cast<State>(phase);
    retry_after_ = Clock::time_point(Clock::duration(in.get<int64_t>()));
    next_call_id_ = in.get<uint64_t>(), receiving_status_ = static_cast<Status>(in.get<uint16_t>());
    for (uint64_t i = 0, n = in.get_count(8); i < n; ++i) {
      const uint64_t id = in.get<uint64_t>();
      waiting_.emplace(id, in.get_message(heap));
    }
    for (uint64_t i = 0, n = in.get_count(8); i < n; ++i) backlog_.push_back(in.get_message(heap));
    FrameReader::Step step = FrameReader::Step::kMore;
    if (in.get<uint8_t>() != 0) {
      watched_ = in.get<uint32_t>();
      connection_ = FramedConnection::load(in, context_.send_heap(), context_.max_message_bytes(), step);
      // on_header below must not throw (nor write to a socket not yet ours): only a Reply's or an
      // Error's header of a ready connection may be resumed.
      const FrameKind kind = step == FrameReader::Step::kHeader ? connection_->reader().header().kind : FrameKind::kReply;
      if (state_ != State::kReady && step == FrameReader::Step::kHeader)
        in.fail("a resumed frame before the peer's Hello");
      if (kind != FrameKind::kReply && kind != FrameKind::kError) in.fail("a resumed frame that is not a Reply or an Error");
    } else if (state_ != State::kDown) {
      in.fail("a connection state without a connection");
    }
    in.expect_end();
    if (step == FrameReader::Step::kHeader) on_header(connection_->reader().header());  // a new receive buffer
    if (connection_) connection_->adopt_socket();
  }

  void report(EngineReport& r) const override {
    r.counters = {{"replies", replies_}, {"failed", failed_}, {"unknown_replies", unknown_replies_},
                  {"connects", connects_}, {"in_flight", waiting_.size()}, {"unsent", backlog_.size()},
                  {"receiving_bytes", connection_ ? connection_->reader().received() : 0},
                  {"sending_bytes", connection_ ? connection_->sending() : 0},
                  {"recv_calls", connection_ ? connection_->recv_calls() : 0}};
  }

  // After a successful restore: the successor has everything, including the socket (not closed
  // here) and copies of a partial reply (its receive buffer, this engine's, is freed).
  void give_back(EnginePorts&) override {
    if (receiving_offset_ != kNoOffset) context_.free_reply(std::exchange(receiving_offset_, kNoOffset));
    if (connection_) connection_->release_socket();
    connection_.reset();
    waiting_.clear();
    backlog_.clear();
    state_ = State::kDown;
  }

 private:
  enum class State { kDown, kHello, kReady };

  void take(const RpcMessage& m) {
    if (state_ == State::kDown) {
      if (Clock::now() < retry_after_) return answer(m, Status::kTransportError);
      connect();
      if (state_ == State::kDown) return answer(m, Status::kTransportError);
    }
    if (state_ == State::kReady && waiting_.size() < kMaxInFlightPerConnection) return send(m);
    backlog_.push_back(m);
  }

  void connect() {
    try {
      connection_ = std::make_unique<FramedConnection>(net::tcp_connect_start(peer_), context_.max_message_bytes());
      // Sends wait (EAGAIN) until the connect completes; a refused connect shows up as a read error.
      connection_->queue_owned(hello_header(schema_), service_);
      ++connects_;
      state_ = State::kHello;
      watched_ = 0;
    } catch (const Error& e) {
      fail_all(Status::kTransportError, e.what());
    }
  }

  void send(const RpcMessage& m) {
    FrameHeader h;
    h.kind = FrameKind::kRequest;
    h.method = m.method;
    h.call_id = next_call_id_++;
    h.payload_length = m.length;
    if (m.wire) {
      h.payload_length = m.wire->length;
      connection_->queue(h, wire_pieces(context_, *m.wire), kNoOffset, m.wire);
    } else {
      connection_->queue(h, context_.request_bytes(m.offset, m.length), kNoOffset);
    }
    waiting_.emplace(h.call_id, m);
  }

  void answer(const RpcMessage& request, Status status, uint64_t offset = kNoOffset, uint64_t length = 0) {
    if (status != Status::kOk) ++failed_;
    ports_->replies_out->push_back(reply_to(request, status, offset, length));
  }

  // The serving application failed the call: its status, and its message (as it gave it) in a
  // receive buffer when there is room for one.
  void answer_failed(const RpcMessage& request, Status status, std::span<const uint8_t> message) {
    if (message.empty()) return answer(request, status);
    auto buffer = context_.allocate_reply(message.size());
    if (!buffer) return answer(request, status);
    std::memcpy(buffer->bytes.data(), message.data(), message.size());
    answer(request, status, buffer->offset, message.size());
  }

  size_t pump() {
    size_t work = 0;
    try {
      std::vector<uint64_t> sent;
      connection_->flush(sent);
      const bool may_have_data = context_.sockets_ready();
      for (; work < kBudget; ++work) {
        auto step = connection_->read_step(may_have_data);
        if (!step) break;
        if (*step == FrameReader::Step::kHeader) step = on_header(connection_->reader().header());
        if (*step == FrameReader::Step::kFrame) on_frame(connection_->reader().header());
      }
      if (connection_) {
        connection_->flush(sent);
        const uint32_t events = EPOLLIN | (connection_->wants_write() ? uint32_t{EPOLLOUT} : 0u);
        if (events != watched_) context_.watch(connection_->fd(), watched_ = events);
      }
    } catch (const PeerRefusal& e) {
      fail_all(Status::kPeerRefused, e.what());
    } catch (const Error& e) {
      fail_all(Status::kTransportError, e.what());
    }
    return work;
  }

  // A connection-level refusal by the peer (or of the peer).
  struct PeerRefusal : Error {
    using Error::Error;
  };

  FrameReader::Step on_header(const FrameHeader& h) {
    FrameReader& reader = connection_->reader();
    receiving_status_ = Status::kOk;
    if (h.kind == FrameKind::kError) return reader.accept(std::span(error_text_).first(h.payload_length));
    if (state_ == State::kHello) {
      if (auto why = hello_mismatch(h, schema_)) {
        FrameHeader error;
        error.kind = FrameKind::kError;
        error.status = Status::kPeerRefused;
        connection_->queue_owned(error, *why);
        std::vector<uint64_t> ignored;
        connection_->flush(ignored);  // best effort: the peer learns why before we close
        throw PeerRefusal("refused peer " + peer_.text + ": " + *why);
      }
      return reader.discard();
    }
    if (h.kind != FrameKind::kReply) throw InputError("peer " + peer_.text + " sent an unexpected frame kind");
    auto it = waiting_.find(h.call_id);
    if (it == waiting_.end()) {
      ++unknown_replies_;
      return reader.discard();
    }
    auto buffer = context_.allocate_reply(h.payload_length);
    if (!buffer) {
      receiving_status_ = Status::kNoReceiveSpace;
      return reader.discard();
    }
    receiving_offset_ = buffer->offset;
    return reader.accept(buffer->bytes);
  }

  void on_frame(const FrameHeader& h) {
    if (h.kind == FrameKind::kHello) {
      state_ = State::kReady;
      net::log(LogLevel::kInfo, "rpc", "connection {}: connected to peer {}", context_.connection_id(), peer_.text);
      std::deque<RpcMessage> queued;
      queued.swap(backlog_);
      for (const auto& m : queued) take(m);
      return;
    }
    if (h.kind == FrameKind::kError) {
      const std::string text = error_text(std::span(error_text_).first(h.payload_length));
      auto it = waiting_.find(h.call_id);
      if (h.call_id == 0 || it == waiting_.end()) {
        if (h.status == Status::kPeerRefused) throw PeerRefusal("peer " + peer_.text + " refused us: " + text);
        throw InputError("peer " + peer_.text + " reported: " + text);
      }
      const RpcMessage request = it->second;
      waiting_.erase(it);
      if (is_application_status(h.status)) return answer_failed(request, h.status, std::span(error_text_).first(h.payload_length));
      return answer(request, h.status == Status::kOk ? Status::kTransportError : h.status);
    }
    auto it = waiting_.find(h.call_id);
    if (it == waiting_.end()) return;  // an unknown reply, discarded
    const RpcMessage request = it->second;
    waiting_.erase(it);
    ++replies_;
    answer(request, receiving_status_, std::exchange(receiving_offset_, kNoOffset), h.payload_length);
    if (!backlog_.empty() && waiting_.size() < kMaxInFlightPerConnection) {
      send(backlog_.front());
      backlog_.pop_front();
    }
  }

  // The connection is gone: every waiting call is answered with `status`; later requests reconnect.
  void fail_all(Status status, const std::string& why) {
    net::log(LogLevel::kWarning, "rpc", "connection {}: peer {}: {}; failing {} call(s)", context_.connection_id(),
             peer_.text, why, waiting_.size() + backlog_.size());
    if (receiving_offset_ != kNoOffset) context_.free_reply(std::exchange(receiving_offset_, kNoOffset));
    for (const auto& [id, m] : waiting_) answer(m, status);
    for (const auto& m : backlog_) answer(m, status);
    waiting_.clear();
    backlog_.clear();
    connection_.reset();  // closing the socket also drops it from the watch set
    state_ = State::kDown;
    retry_after_ = Clock::now() + kReconnectBackoff;
  }

  DatapathContext& context_;
  const net::TcpAddress peer_;
  const std::string service_;  // empty: none named (the peer hands us to any serving application)
  const SchemaHash schema_ = context_.schema_hash();
  EnginePorts* ports_ = nullptr;
  State state_ = State::kDown;
  std::unique_ptr<FramedConnection> connection_;
  uint32_t watched_ = 0;
  Clock::time_point retry_after_{};
  std::unordered_map<uint64_t, RpcMessage> waiting_;  // by wire call id
  std::deque<RpcMessage> backlog_;                    // not sent yet
  uint64_t next_call_id_ = 1;
  uint64_t receiving_offset_ = kNoOffset;  // the receive buffer a reply is being read into
  Status receiving_status_ = Status::kOk;
  std::array<uint8_t, kMaxErrorText> error_text_{};
  uint64_t replies_ = 0, failed_ = 0, unknown_replies_ = 0, connects_ = 0;
};

// Config: "HOST:PORT [SERVICE]": the peer service, and the proto service the application calls.
Engine* create(DatapathContext* context, const char* config) {
  try {
    std::istringstream words(config);
    std::string address, service;
    words >> address >> service;
    return new TcpClientEngine(*context, net::parse_tcp_address(address), service);
  } catch (const Error& e) {
    net::log(LogLevel::kError, "rpc", "tcp-client engine: {}", e.what());
    return nullptr;
  }
}

const fixnet_rpc_engine_plugin kPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "tcp-client", &create, FIXNET_RPC_BEFORE_MARSHAL};

}  // namespace

}  // namespace fixnet::rpc

FIXNET_RPC_EXPORT_ENGINE(builtin_tcp_client_engine, fixnet::rpc::kPlugin)
