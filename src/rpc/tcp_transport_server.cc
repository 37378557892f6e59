// The serving side of the TCP transport ("tcp-server"), the transport of a serving application's
// datapath. It accepts peer connections from the service's listening socket (each serving
// application accepts from the same socket, so connections spread among them), answers each peer's
// Hello, reads requests straight into the application's receive heap and hands them to it under
// call ids of its own, and sends the application's replies from its send heap. A send buffer goes
// back (a reply with call_id 0 and a done_offset) once the kernel took the frame, or the peer died.
//
// A peer that breaks the protocol gets an Error frame (with its call id when the header had one)
// and is disconnected; other peers never notice. A peer stops being read while
// kMaxInFlightPerConnection of its requests await the application.
//
// An upgrade moves every peer connection to the successor (decompose/restore, docs/rpc.md
// "Upgrading a transport"). Compiled twice: into fixnet_rpc as the built-in "tcp-server", and with
// FIXNET_RPC_PLUGIN as fixnet_rpc_tcp_server.so.
#include <poll.h>
#include <sys/epoll.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>

#include "core/error.h"
#include "net/log.h"
#include "net/tcp.h"
#include "rpc/tcp_transport.h"
#include "rpc/tcp_transport_connection.h"

namespace fixnet::rpc {

namespace {

using net::LogLevel;

constexpr size_t kBudget = 32;
constexpr size_t kAcceptBudget = 16;
constexpr auto kAcceptInterval = std::chrono::milliseconds(1);
constexpr uint32_t kStateVersion = 2;

struct Peer {
  explicit Peer(std::unique_ptr<FramedConnection> c) : connection(std::move(c)) {}
  std::unique_ptr<FramedConnection> connection;  // a pointer: an upgrade hands it over whole
  bool greeted = false;
  size_t in_flight = 0;
  uint32_t watched = 0;
  uint64_t receiving_offset = kNoOffset;  // the receive buffer a request is being read into
};

class TcpServerEngine final : public Engine {
 public:
  TcpServerEngine(DatapathContext& context, int listener) : context_(context), listener_(listener) {}
  ~TcpServerEngine() override {
    // The listener is the service's and outlives us; only stop watching it. (A successor in an
    // upgrade watches it again on its first round, which comes after we are gone.)
    if (watching_listener_) context_.watch(listener_, 0);
  }

  const char* name() const override { return "tcp-server"; }

  size_t do_work(EnginePorts& ports) override {
    ports_ = &ports;
    size_t work = 0;
    // Watched from the first round, not from creation: an engine created for an upgrade that is
    // rolled back must not take the listener out of its predecessor's watch set when it goes.
    if (!watching_listener_) context_.watch(listener_, EPOLLIN), watching_listener_ = true;
    for (size_t i = 0; i < kAcceptBudget && (i > 0 || connection_waiting()); ++i) {
      net::UniqueFd socket = net::tcp_accept(listener_);
      if (!socket) break;
      auto peer = std::make_unique<Peer>(std::make_unique<FramedConnection>(std::move(socket), context_.max_message_bytes()));
      peer->connection->queue_owned(hello_header(schema_), "");
      peers_.emplace(next_peer_++, std::move(peer));
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
  // wire call id · u64 peers, each: u64 id, u8 greeted, u64 in flight, u32 watched events, the
  // connection (FramedConnection::save).
  EngineState decompose() override {
    StateWriter out;
    out.put(served_), out.put(next_peer_), out.put(next_call_);
    out.put<uint64_t>(calls_.size());
    for (const auto& [id, call] : calls_) out.put(id), out.put(call.peer), out.put(call.wire_call_id);
    out.put<uint64_t>(peers_.size());
    for (const auto& [id, peer] : peers_) {
      out.put(id), out.put<uint8_t>(peer->greeted), out.put<uint64_t>(peer->in_flight), out.put(peer->watched);
      peer->connection->save(out, context_.send_heap());
    }
    return std::move(out).finish(kStateVersion);
  }

  // Nothing here throws once the state was read: the sockets become ours last.
  void restore(const EngineState& state) override {
    if (state.version == 1) return restore_counters(state, 1, "tcp-server", {&served_});  // an idle predecessor
    if (state.version != kStateVersion)
      throw InputError("tcp-server engine cannot restore state version " + std::to_string(state.version) +
                       " (it reads versions 1 and 2)");
    StateReader in(state, "tcp-server");
    served_ = in.get<uint64_t>(), next_peer_ = in.get<uint64_t>(), next_call_ = in.get<uint64_t>();
    for (uint64_t i = 0, n = in.get_count(24); i < n; ++i) {
      const uint64_t id = in.get<uint64_t>();
      const uint64_t peer = in.get<uint64_t>();
      calls_.emplace(id, Call{peer, in.get<uint64_t>()});
    }
    std::vector<std::pair<uint64_t, FrameReader::Step>> steps;
    for (uint64_t i = 0, n = in.get_count(21); i < n; ++i) {
      const uint64_t id = in.get<uint64_t>();
      const bool greeted = in.get<uint8_t>() != 0;
      const uint64_t in_flight = in.get<uint64_t>();
      const uint32_t watched = in.get<uint32_t>();
      FrameReader::Step step;
      auto connection = FramedConnection::load(in, context_.send_heap(), context_.max_message_bytes(), step);
      auto peer = std::make_unique<Peer>(std::move(connection));
      peer->greeted = greeted, peer->in_flight = in_flight, peer->watched = watched;
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
    r.counters = {{"served", served_}, {"peers", peers_.size()}, {"in_flight", calls_.size()}};
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

  // Whether a peer connection waits on the listener. A poll costs a fraction of an accept that finds
  // none (accept4 allocates a socket before it can say EAGAIN), but it is still a system call, and a
  // busy runtime passes here every few microseconds: ask at most every kAcceptInterval. A runtime
  // that sleeps is woken by the listener (it is in the watch set) and asks then.
  bool connection_waiting() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_accept_check_) return false;
    next_accept_check_ = now + kAcceptInterval;
    pollfd p{listener_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
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
      for (; work < kBudget && peer.in_flight < kMaxInFlightPerConnection; ++work) {
        auto step = peer.connection->read_step();
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
    if (!peer.greeted) {
      if (auto why = hello_mismatch(h, schema_)) throw FrameError(*why, 0, Status::kPeerRefused);
      return peer.connection->reader().discard();
    }
    if (h.kind != FrameKind::kRequest) throw FrameError("expected a Request frame", h.call_id, Status::kBadDescriptor);
    auto buffer = context_.allocate_reply(h.payload_length);
    if (!buffer) return peer.connection->reader().discard();  // answered with an error at its end
    peer.receiving_offset = buffer->offset;
    return peer.connection->reader().accept(buffer->bytes);
  }

  void on_frame(uint64_t id, Peer& peer) {
    const FrameHeader& h = peer.connection->reader().header();
    if (!peer.greeted) {
      peer.greeted = true;
      return;
    }
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
  const int listener_;
  const SchemaHash schema_ = context_.schema_hash();
  EnginePorts* ports_ = nullptr;
  std::map<uint64_t, std::unique_ptr<Peer>> peers_;
  std::unordered_map<uint64_t, Call> calls_;  // by the call id the application sees
  uint64_t next_peer_ = 1;
  uint64_t next_call_ = 1;
  uint64_t served_ = 0;
  std::chrono::steady_clock::time_point next_accept_check_{};
  bool watching_listener_ = false;
};

Engine* create(DatapathContext* context, const char* config) {
  const std::string_view text(config);
  int fd = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
  if (ec != std::errc() || end != text.data() + text.size() || fd < 0) {
    net::log(LogLevel::kError, "rpc", "tcp-server engine: config '{}' is not a listening socket", text);
    return nullptr;
  }
  return new TcpServerEngine(*context, fd);
}

const fixnet_rpc_engine_plugin kPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "tcp-server", &create, FIXNET_RPC_BEFORE_MARSHAL};

}  // namespace

}  // namespace fixnet::rpc

FIXNET_RPC_EXPORT_ENGINE(builtin_tcp_server_engine, fixnet::rpc::kPlugin)
