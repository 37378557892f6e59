// The serving side of gRPC interop ("grpc-server"), the transport of a serving application's
// datapath when the service has `--grpc-listen`. It binds the application's schema at the interop,
// takes the gRPC calls routed to it from its mailbox, copies each request message into the
// application's receive heap and hands it over under a call id with kGrpcCallBit set (the marshalling
// engine decodes it as the method's request type); the application's marshalled reply becomes the
// gRPC response, a refusal a gRPC status. With a `--listen` socket too it carries the tcp-server
// engine and passes it everything that is not a gRPC call's, so peer services reach the application
// as before.
//
// At most kMaxInFlightPerConnection calls await the application; more wait in the engine. An
// application that goes away (the engine is destroyed) fails the calls it holds with UNAVAILABLE;
// calls it never delivered are routed again (to another application serving them, if any); the
// interop routes no more to it. An upgrade moves the held calls to the successor (give_back).
#include <sys/epoll.h>

#include <deque>
#include <sstream>
#include <unordered_map>

#include "core/error.h"
#include "net/log.h"
#include "rpc/engine_state_codec.h"
#include "rpc/grpc_convert.h"
#include "rpc/grpc_interop.h"
#include "rpc/grpc_transport.h"
#include "rpc/tcp_transport.h"

namespace fixnet::rpc {

namespace {

using net::LogLevel;

constexpr uint32_t kStateVersion = 3;
constexpr const char* kEngine = "grpc-server";

const grpc::Status kGone(grpc::StatusCode::UNAVAILABLE, "the serving application went away before answering");

// gRPC calls the application holds (delivered, not yet answered), by the call id it sees; on their
// way to a successor engine. Whatever is still here when it is dropped is failed.
struct HeldCalls {
  std::unordered_map<uint64_t, GrpcServerCall*> calls;
  ~HeldCalls() {
    for (auto& [id, call] : calls) call->fail(kGone);
  }
};

class GrpcServerEngine final : public Engine {
 public:
  GrpcServerEngine(DatapathContext& context, std::shared_ptr<GrpcInterop> interop, const std::string& service,
                   std::unique_ptr<Engine> tcp)
      : context_(context), interop_(std::move(interop)), tcp_(std::move(tcp)) {
    if (schema_ == SchemaHash{}) return;  // raw bytes: no method names, nothing gRPC can call
    context_.watch(inbox_.fd(), EPOLLIN);
    interop_->bind(schema_, &inbox_, service);
  }

  ~GrpcServerEngine() override {
    if (schema_ == SchemaHash{} || given_back_) return;
    take_handover();  // a successor that never ran still answers what it was given
    let_go();
    for (auto& [id, call] : calls_) call->fail(kGone);
  }

  const char* name() const override { return "grpc-server"; }

  size_t do_work(EnginePorts& ports) override {
    ports_ = &ports;
    take_handover();
    size_t work = 0;
    while (!ports.requests_in->empty()) {
      RpcMessage& m = ports.requests_in->front();
      if (m.call_id & kGrpcCallBit) {
        reply(m);
        ++work;
      } else {
        tcp_requests_.push_back(std::move(m));
      }
      ports.requests_in->pop_front();
    }
    for (const GrpcInboundCall& c : inbox_.take()) waiting_.push_back(c);
    // Like tcp-server's per-connection bound: beyond it, calls wait here (gRPC holds their bytes).
    for (; !waiting_.empty() && calls_.size() < kMaxInFlightPerConnection; ++work) {
      deliver(waiting_.front());
      waiting_.pop_front();
    }
    if (tcp_) {
      EnginePorts inner{&tcp_requests_, nullptr, nullptr, ports.replies_out};
      work += tcp_->do_work(inner);
    } else {
      for (const RpcMessage& m : tcp_requests_) done(m.offset);  // no such call: only its buffer back
      tcp_requests_.clear();
    }
    return work;
  }

  // The gRPC calls the application holds move to the successor: their objects stay in this process
  // (libgrpc answers them through the interop's completion queue, whichever engine does), so the
  // state carries a token under which give_back() leaves them at the interop. Calls not delivered
  // yet are routed again, to the successor (bound since its creation).
  // State v3: u64 served, next call id, handover token (0: none), held calls · u8 has tcp-server,
  // then: u32 its state version, its state (u64, bytes). v2 lacks the second to fourth u64.
  EngineState decompose() override {
    handover_ = calls_.empty() ? 0 : interop_->new_handover_token();
    StateWriter out;
    out.put(served_), out.put(next_call_), out.put(handover_), out.put<uint64_t>(calls_.size());
    out.put<uint8_t>(tcp_ ? 1 : 0);
    if (tcp_) {
      const EngineState inner = tcp_->decompose();
      out.put(inner.version), out.put_bytes(inner.bytes);
    }
    return std::move(out).finish(kStateVersion);
  }

  void restore(const EngineState& state) override {
    if (state.version == 1) return restore_counters(state, 1, kEngine, {&served_});
    if (state.version != 2) require_newest_state(state, kStateVersion, kEngine);
    StateReader in(state, kEngine);
    served_ = in.get<uint64_t>();
    if (state.version == kStateVersion) {
      next_call_ = in.get<uint64_t>();
      taken_ = in.get<uint64_t>();
      held_ = in.get<uint64_t>();
      if (next_call_ == 0 || next_call_ >= kGrpcCallBit || (taken_ == 0) != (held_ == 0) || held_ >= next_call_)
        in.fail("call ids that do not add up");
    }
    const bool had_tcp = in.get<uint8_t>() != 0;
    EngineState inner;
    if (had_tcp) {
      inner.version = in.get<uint32_t>();
      const auto bytes = in.get_bytes(state.bytes.size());
      inner.bytes.assign(bytes.begin(), bytes.end());
    }
    in.expect_end();
    if (had_tcp != (tcp_ != nullptr)) in.fail(had_tcp ? "peer connections this service no longer listens for" : "no tcp-server state");
    if (tcp_) tcp_->restore(inner);
  }

  // After a successful restore: the held gRPC calls go to the interop for the successor, those not
  // delivered are routed again; the tcp-server inside hands its connections over, and requests for
  // it this engine had not passed on yet go back to the chain for the successor.
  void give_back(EnginePorts& ports) override {
    if (schema_ != SchemaHash{}) {
      let_go();
      if (handover_ != 0) {
        auto held = std::make_shared<HeldCalls>();
        held->calls.swap(calls_);
        interop_->leave(handover_, kEngine, std::move(held));
      }
      given_back_ = true;
    }
    if (!tcp_) return;
    EnginePorts inner{&tcp_requests_, nullptr, nullptr, ports.replies_out};
    tcp_->give_back(inner);
    for (auto it = tcp_requests_.rbegin(); it != tcp_requests_.rend(); ++it) ports.requests_in->push_front(std::move(*it));
    tcp_requests_.clear();
  }

  void report(EngineReport& r) const override {
    r.counters = {{"served", served_}, {"held", calls_.size()}, {"waiting", waiting_.size()}};
  }

  bool has_pending_work() const override { return tcp_ && tcp_->has_pending_work(); }

 private:
  void deliver(const GrpcInboundCall& c) {
    auto buffer = to_receive_buffer(context_, c.call->request());
    if (!buffer)
      return c.call->fail(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                       "the serving application holds its receive heap full"));
    RpcMessage m;
    m.kind = Kind::kRequest;
    m.call_id = kGrpcCallBit | next_call_++;
    m.method = c.method;
    m.offset = buffer->offset;
    m.length = buffer->bytes.size();
    calls_.emplace(m.call_id, c.call);
    ports_->replies_out->push_back(m);
  }

  // The application's answer to a gRPC call, or the marshalling engine's refusal of its request
  // (status set, no buffer) or of its reply (status set, the reply's buffer to return).
  void reply(const RpcMessage& m) {
    auto it = calls_.find(m.call_id);
    if (it == calls_.end()) return done(m.offset);
    GrpcServerCall* call = it->second;
    calls_.erase(it);
    if (is_application_status(m.status)) {
      // The handler failed the call; its message (if any) is in its send buffer.
      const auto message = m.offset == kNoOffset ? std::span<const uint8_t>() : context_.request_bytes(m.offset, m.length);
      call->fail(to_grpc_status(m.status, false, {reinterpret_cast<const char*>(message.data()), message.size()}));
    } else if (m.status != Status::kOk) {
      call->fail(to_grpc_status(m.status, m.offset == kNoOffset));
    } else {
      call->answer(m.wire ? to_byte_buffer(context_, *m.wire)
                          : to_byte_buffer(context_.request_bytes(m.offset, m.length)));
      ++served_;
    }
    done(m.offset);
  }

  void done(uint64_t send_offset) { hand_back(*ports_->replies_out, send_offset); }

  // The calls a predecessor left for this engine (restore() read their token), once.
  void take_handover() {
    if (taken_ == 0) return;
    auto held = std::static_pointer_cast<HeldCalls>(interop_->take(std::exchange(taken_, 0), kEngine));
    if (!held) return;  // a predecessor rolled back, or the token named nothing
    if (held->calls.size() != held_)
      net::log(LogLevel::kWarning, "rpc", "grpc-server: took {} held gRPC calls, its predecessor's state said {}",
               held->calls.size(), held_);
    calls_.merge(held->calls);
  }

  // No more calls come to this engine; those it never delivered are routed again.
  void let_go() {
    interop_->unbind(schema_, &inbox_);  // after this nothing is pushed to inbox_
    context_.watch(inbox_.fd(), 0);
    for (const GrpcInboundCall& c : inbox_.take()) interop_->dispatch(c.call);
    for (const GrpcInboundCall& c : waiting_) interop_->dispatch(c.call);
    waiting_.clear();
  }

  DatapathContext& context_;
  const SchemaHash schema_ = context_.schema_hash();
  std::shared_ptr<GrpcInterop> interop_;
  std::unique_ptr<Engine> tcp_;
  MessageQueue tcp_requests_;  // replies (and anything else) for the tcp-server engine
  GrpcEndpoint inbox_;
  std::deque<GrpcInboundCall> waiting_;  // taken from inbox_, not yet delivered
  EnginePorts* ports_ = nullptr;
  std::unordered_map<uint64_t, GrpcServerCall*> calls_;  // by the call id the application sees
  uint64_t next_call_ = 1;
  uint64_t served_ = 0;
  uint64_t handover_ = 0;          // decompose(): the token give_back() leaves the held calls under
  uint64_t taken_ = 0, held_ = 0;  // restore(): the token to take a predecessor's calls by, how many
  bool given_back_ = false;
};

// Config: "INTEROP SERVICE [tcp-server]": the gRPC interop's id, the proto service the application
// serves ("-": none named), then (with --listen too) "tcp-server": carry that engine.
Engine* create(DatapathContext* context, const char* config) {
  std::istringstream words(config);
  uint64_t id = 0;
  std::string service, tcp;
  words >> id >> service >> tcp;
  if (service == "-") service.clear();
  auto interop = GrpcInterop::find(id);
  if (!interop) {
    net::log(LogLevel::kError, "rpc", "grpc-server engine: config '{}' names no running gRPC interop",
             config);
    return nullptr;
  }
  try {
    std::unique_ptr<Engine> tcp_server;
    if (tcp == "tcp-server") {
      tcp_server.reset(builtin_tcp_server_engine()->create(context, ""));
      if (!tcp_server) return nullptr;
    }
    return new GrpcServerEngine(*context, std::move(interop), service, std::move(tcp_server));
  } catch (const Error& e) {
    net::log(LogLevel::kError, "rpc", "grpc-server engine: {}", e.what());
    return nullptr;
  }
}

const fixnet_rpc_engine_plugin kPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "grpc-server", &create, FIXNET_RPC_BEFORE_MARSHAL};

}  // namespace

const fixnet_rpc_engine_plugin* builtin_grpc_server_engine() { return &kPlugin; }

}  // namespace fixnet::rpc
