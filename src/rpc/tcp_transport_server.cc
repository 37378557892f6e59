// The serving side of the TCP transport ("tcp-server"), the transport of a serving application's
// datapath. It takes the peer connections the service's PeerDispatch hands to its datapath (those
// that call the service it serves, their Hello read: tcp_transport_dispatch.h, handed_peer.h),
// answers each peer's Hello, reads requests straight into the application's receive heap and hands
// them to it under call ids of its own, and sends the application's replies from its send heap. A send buffer goes
// back (a reply with call_id 0 and a done_offset) once the kernel took the frame, or the peer died.
//
// A peer that breaks the protocol gets an Error frame (with its call id when the header had one)
// and is disconnected; other peers never notice. A peer stops being read while
// kMaxInFlightPerConnection of its requests await the application.
//
// An upgrade moves every peer connection to the successor (decompose/restore, docs/rpc.md
// "Upgrading a transport"). Compiled twice: into fixnet_rpc as the built-in "tcp-server", and with
// FIXNET_RPC_PLUGIN as fixnet_rpc_tcp_server.so.
#include <sys/epoll.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>

#include "core/error.h"
#include "net/log.h"
#include "net/tcp.h"
#include "rpc/handed_peer.h"
#include "rpc/tcp_transport.h"
#include "rpc/tcp_transport_connection.h"

namespace fixnet::rpc {

namespace {

using net::LogLevel;

constexpr size_t kBudget = 32;
constexpr uint32_t kStateVersion = 2;

struct Peer {
  explicit Peer(std::unique_ptr<FramedConnection> c) : connection(std::move(c)) {}
  std::unique_ptr<FramedConnection> connection;  // a pointer: an upgrade hands it over whole
  size_t in_flight = 0;
  uint32_t watched = 0;
  uint64_t receiving_offset = kNoOffset;  // the receive buffer a request is being read into
};

class TcpServerEngine final : public Engine {
 public:
  TcpServerEngine(DatapathContext& context, PeerInbox& inbox) : context_(context), inbox_(inbox) {}
  ~TcpServerEngine() override {
    // The inbox is the datapath's and outlives us; only stop watching it. (A successor in an
    // upgrade watches it again on its first round, which comes after we are gone.)
    if (watching_inbox_) context_.watch(inbox_.fd(), 0);
  }

  const char* name() const override { return "tcp-server"; }

  size_t do_work(EnginePorts& ports) override {
    ports_ = &ports;
    size_t work = 0;
    // Watched from the first round, not from creation: an engine created for an upgrade that is
    // rolled back must not take the inbox out of its predecessor's watch set when it goes.
    if (!watching_inbox_) context_.watch(inbox_.fd(), EPOLLIN), watching_inbox_ = true;
    for (HandedPeer& handed : inbox_.take()) {  // one atomic load while none waits
      adopt(std::move(handed));
      ++work;
    }
    for (; work < kBudget && !ports.requests_in->empty(); ++work) {
      reply(ports.requests_in->front());
      ports.requests_in->pop_front();
    }
    for (auto it = peers_.begin(); it != peers_.end();) {
      const uint64_t id = it->first;
      ++it;  // pump() may erase the peer
      work += pump(id);
    }
    return work;
  }

  // Everything moves to a successor (docs/rpc.md, "Upgrading a transport"): each peer connection
  // with its socket, partial frames and unsent replies, and the table of calls the application
  // holds — so an upgrade with requests in flight loses and fails none.
  // State v2: u64 served, next peer id, next call id · u64 calls, each: u64 call id, u64 peer, u64
  // wire call id · u64 peers, each: u64 id, u64 in flight, u32 watched events, the
  // connection (FramedConnection::save).
  EngineState decompose() override {
    StateWriter out;
    out.put(served_), out.put(next_peer_), out.put(next_call_);
    out.put<uint64_t>(calls_.size());
    for (const auto& [id, call] : calls_) out.put(id), out.put(call.peer), out.put(call.wire_call_id);
    out.put<uint64_t>(peers_.size());
    for (const auto& [id, peer] : peers_) {
      out.put(id), out.put<uint64_t>(peer->in_flight), out.put(peer->watched);
      peer->connection->save(out, context_.send_heap());
    }
    return std::move(out).finish(kStateVersion);
  }

  // Nothing throws once the state was read (what on_header could refuse is refused while reading):
  // the sockets become ours last.
  void restore(const EngineState& state) override {
    if (state.version == 1) return restore_counters(state, 1, "tcp-server", {&served_});  // an idle predecessor
    require_newest_state(state, kStateVersion, "tcp-server");
    StateReader in(state, "tcp-server");
    served_ = in.get<uint64_t>(), next_peer_ = in.get<uint64_t>(), next_call_ = in.get<uint64_t>();
    for (uint64_t i = 0, n = in.get_count(24); i < n; ++i) {
      const uint64_t id = in.get<uint64_t>();
      const uint64_t peer = in.get<uint64_t>();
      calls_.emplace(id, Call{peer, in.get<uint64_t>()});
    }
    std::vector<std::pair<uint64_t, FrameReader::Step>> steps;
    for (uint64_t i = 0, n = in.get_count(20); i < n; ++i) {
      const uint64_t id = in.get<uint64_t>();
      const uint64_t in_flight = in.get<uint64_t>();
      const uint32_t watched = in.get<uint32_t>();
      FrameReader::Step step;
      auto connection = FramedConnection::load(in, context_.send_heap(), context_.max_message_bytes(), step);
      auto peer = std::make_unique<Peer>(std::move(connection));
      peer->in_flight = in_flight, peer->watched = watched;
      // on_header below must not throw: a resumed header that is no Request is refused here, while
      // nothing is allocated and no socket is ours (the predecessor still uses them).
      if (step == FrameReader::Step::kHeader && peer->connection->reader().header().kind != FrameKind::kRequest)
        in.fail("peer " + std::to_string(id) + ": a resumed frame that is not a Request");
      if (!peers_.emplace(id, std::move(peer)).second) in.fail("peer " + std::to_string(id) + " twice");
      steps.emplace_back(id, step);
    }
    in.expect_end();
    for (const auto& [id, step] : steps) {
      Peer& peer = *peers_.at(id);
      if (step == FrameReader::Step::kHeader) on_header(peer);  // a new receive buffer for the request
      peer.connection->adopt_socket();
    }
  }

  void report(EngineReport& r) const override {
    uint64_t receiving = 0, sending = 0, recvs = 0;  // over the peers (frames cut in half, recv calls)
    for (const auto& [id, peer] : peers_) {
      receiving += peer->connection->reader().received(), sending += peer->connection->sending();
      recvs += peer->connection->recv_calls();
    }
    r.counters = {{"served", served_}, {"peers", peers_.size()}, {"in_flight", calls_.size()},
                  {"receiving_bytes", receiving}, {"sending_bytes", sending}, {"recv_calls", recvs}};
  }

  // After a successful restore: the successor has the connections, including their sockets (not
  // closed here), and copies of partial requests (their receive buffers, this engine's, are freed).
  void give_back(EnginePorts&) override {
    for (auto& [id, peer] : peers_) {
      if (peer->receiving_offset != kNoOffset) context_.free_reply(peer->receiving_offset);
      peer->connection->release_socket();
    }
    peers_.clear();
    calls_.clear();
  }

 private:
  struct Call {
    uint64_t peer;
    uint64_t wire_call_id;
  };

  // A peer the dispatch read the Hello of: ours goes back; a schema other than ours is refused.
  void adopt(HandedPeer handed) {
    const uint64_t id = next_peer_++;
    auto peer = std::make_unique<Peer>(std::make_unique<FramedConnection>(std::move(handed.socket), context_.max_message_bytes()));
    peer->connection->queue_owned(hello_header(schema_), "");
    peers_.emplace(id, std::move(peer));
    if (auto why = hello_mismatch(handed.hello, schema_)) refuse(id, 0, Status::kPeerRefused, *why);
  }

  // The application's answer to one of our calls.
  void reply(const RpcMessage& m) {
    auto call = calls_.find(m.call_id);
    Peer* peer = nullptr;
    if (call != calls_.end()) {
      auto it = peers_.find(call->second.peer);
      if (it != peers_.end()) peer = it->second.get();
    }
    if (peer == nullptr) return done(m.offset);  // an unknown call, or its caller left
    if (m.status != Status::kOk) {
      // The application's handler failed the call (its message, if any, is in its send buffer), or
      // the marshalling engine refused the reply (or the request): the caller learns why.
      std::string text(status_text(m.status));
      if (is_application_status(m.status) && m.offset != kNoOffset && m.length != 0) {
        const auto bytes = context_.request_bytes(m.offset, std::min<uint64_t>(m.length, kMaxErrorText));
        text.assign(bytes.begin(), bytes.end());
      }
      error(*peer, call->second.wire_call_id, m.status, text);
      done(m.offset);
    } else {
      FrameHeader h;
      h.kind = FrameKind::kReply;
      h.method = m.method;
      h.call_id = call->second.wire_call_id;
      h.payload_length = m.length;
      if (m.wire) {
        h.payload_length = m.wire->length;
        peer->connection->queue(h, wire_pieces(context_, *m.wire), m.offset, m.wire);
      } else {
        peer->connection->queue(h, context_.request_bytes(m.offset, m.length), m.offset);
      }
    }
    --peer->in_flight;
    calls_.erase(call);
    ++served_;
  }

  void done(uint64_t send_offset) { hand_back(*ports_->replies_out, send_offset); }

  size_t pump(uint64_t id) {
    Peer& peer = *peers_.at(id);
    size_t work = 0;
    try {
      std::vector<uint64_t> sent;
      peer.connection->flush(sent);
      const bool may_have_data = context_.sockets_ready();
      for (; work < kBudget && peer.in_flight < kMaxInFlightPerConnection; ++work) {
        auto step = peer.connection->read_step(may_have_data);
        if (!step) break;
        if (*step == FrameReader::Step::kHeader) step = on_header(peer);
        if (*step == FrameReader::Step::kFrame) on_frame(id, peer);
      }
      peer.connection->flush(sent);
      for (uint64_t offset : sent) done(offset);
      const uint32_t events = (peer.in_flight < kMaxInFlightPerConnection ? uint32_t{EPOLLIN} : 0u) |
                              (peer.connection->wants_write() ? uint32_t{EPOLLOUT} : 0u);
      if (events != peer.watched) context_.watch(peer.connection->fd(), peer.watched = events);
    } catch (const FrameError& e) {
      refuse(id, e.call_id, e.status, e.what());
    } catch (const Error& e) {
      drop(id, e.what());
    }
    return work;
  }

  FrameReader::Step on_header(Peer& peer) {
    const FrameHeader& h = peer.connection->reader().header();
    if (h.kind != FrameKind::kRequest) throw FrameError("expected a Request frame", h.call_id, Status::kBadDescriptor);
    auto buffer = context_.allocate_reply(h.payload_length);
    if (!buffer) return peer.connection->reader().discard();  // answered with an error at its end
    peer.receiving_offset = buffer->offset;
    return peer.connection->reader().accept(buffer->bytes);
  }

  void on_frame(uint64_t id, Peer& peer) {
    const FrameHeader& h = peer.connection->reader().header();
    if (peer.receiving_offset == kNoOffset) return error(peer, h.call_id, Status::kNoReceiveSpace,
                                                         "the serving application holds its receive heap full");
    RpcMessage m;
    m.kind = Kind::kRequest;
    m.call_id = next_call_++;
    m.method = h.method;
    m.offset = std::exchange(peer.receiving_offset, kNoOffset);
    m.length = h.payload_length;
    calls_.emplace(m.call_id, Call{id, h.call_id});
    ++peer.in_flight;
    ports_->replies_out->push_back(m);
  }

  void error(Peer& peer, uint64_t call_id, Status status, const std::string& text) {
    FrameHeader h;
    h.kind = FrameKind::kError;
    h.status = status;
    h.call_id = call_id;
    peer.connection->queue_owned(h, text.substr(0, kMaxErrorText));
  }

  // The peer broke the protocol: tell it why (best effort), then disconnect it.
  void refuse(uint64_t id, uint64_t call_id, Status status, const std::string& why) {
    Peer& peer = *peers_.at(id);
    error(peer, call_id, status, why);
    std::vector<uint64_t> sent;
    try {
      peer.connection->flush(sent);
    } catch (const Error&) {
      // It is gone already.
    }
    for (uint64_t offset : sent) done(offset);
    drop(id, "refused: " + why);
  }

  void drop(uint64_t id, const std::string& why) {
    auto it = peers_.find(id);
    Peer& peer = *it->second;
    net::log(LogLevel::kInfo, "rpc", "connection {}: peer connection {} closed: {}", context_.connection_id(), id, why);
    if (peer.receiving_offset != kNoOffset) context_.free_reply(peer.receiving_offset);
    std::vector<uint64_t> unsent;
    peer.connection->abandon(unsent);
    for (uint64_t offset : unsent) done(offset);
    peers_.erase(it);  // its calls stay in calls_ until the application answers them (then: done only)
  }

  DatapathContext& context_;
  PeerInbox& inbox_;
  const SchemaHash schema_ = context_.schema_hash();
  EnginePorts* ports_ = nullptr;
  std::map<uint64_t, std::unique_ptr<Peer>> peers_;
  std::unordered_map<uint64_t, Call> calls_;  // by the call id the application sees
  uint64_t next_peer_ = 1;
  uint64_t next_call_ = 1;
  uint64_t served_ = 0;
  bool watching_inbox_ = false;
};

// No configuration: its peers come from the datapath's inbox, which only a serving datapath of a
// service with --listen has.
Engine* create(DatapathContext* context, const char* config) {
  if (config[0] != '\0' || context->handed_peers() == nullptr) {
    net::log(LogLevel::kError, "rpc", "tcp-server engine: {}",
             config[0] != '\0' ? "takes no configuration (give it \"\")"
                                : "needs a serving application's datapath in a service with --listen");
    return nullptr;
  }
  return new TcpServerEngine(*context, *context->handed_peers());
}

const fixnet_rpc_engine_plugin kPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "tcp-server", &create, FIXNET_RPC_BEFORE_MARSHAL};

}  // namespace

}  // namespace fixnet::rpc

FIXNET_RPC_EXPORT_ENGINE(builtin_tcp_server_engine, fixnet::rpc::kPlugin)
