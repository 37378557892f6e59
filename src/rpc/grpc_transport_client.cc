// The calling side of gRPC interop ("grpc-client"), the transport of calling applications when the
// service has `--grpc-peer HOST:PORT`: each request the marshalling engine encoded becomes a unary
// gRPC call `/package.Service/Method` (the method's full name from the application's schema) on the
// interop's channel, started here without blocking; gRPC's completion thread hands the finished
// call back through a mailbox, and its response is copied into the receive heap for the marshalling
// engine to decode. A request's send buffer goes back with its reply (the bytes were copied into the
// call's message when it started).
//
// An application that goes away (the engine is destroyed) cancels its calls in flight; they free
// themselves when gRPC reports them done. An upgrade moves the calls in flight, with the link they
// report to, to the successor (give_back).
#include <grpcpp/generic/generic_stub.h>
#include <sys/epoll.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <unordered_set>

#include "core/error.h"
#include "net/log.h"
#include "rpc/engine_state_codec.h"
#include "rpc/grpc_convert.h"
#include "rpc/grpc_interop.h"
#include "rpc/grpc_transport.h"

namespace fixnet::rpc {

namespace {

using net::LogLevel;

constexpr size_t kBudget = 32;
constexpr uint32_t kStateVersion = 2;
constexpr const char* kEngine = "grpc-client";

class GrpcClientCall;

// What an engine and its calls in flight share: the mailbox of finished calls, and whether the
// engine is still there to take them. An upgrade hands the link, calls and all, to the successor.
struct ClientLink {
  std::mutex mutex;
  bool closed = false;
  net::Mailbox<GrpcClientCall*> finished;
  std::unordered_set<GrpcClientCall*> in_flight;  // the owning engine's thread only
};

class GrpcClientCall final : public GrpcTag {
 public:
  GrpcClientCall(std::shared_ptr<ClientLink> link, const RpcMessage& request)
      : link_(std::move(link)), request_(request) {}

  void start(grpc::GenericStub& stub, const std::string& path, const grpc::ByteBuffer& message,
             grpc::CompletionQueue* queue) {
    reader_ = stub.PrepareUnaryCall(&context_, path, message, queue);
    reader_->StartCall();
    reader_->Finish(&reply_, &status_, this);
  }

  void completed(bool) override {
    const std::shared_ptr<ClientLink> link = link_;
    std::lock_guard lock(link->mutex);
    if (link->closed) {
      delete this;
      return;
    }
    link->finished.push(this);
  }

  grpc::ClientContext& context() { return context_; }
  const RpcMessage& request() const { return request_; }
  const grpc::Status& status() const { return status_; }
  const grpc::ByteBuffer& reply() const { return reply_; }

 private:
  std::shared_ptr<ClientLink> link_;
  RpcMessage request_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> reader_;
  grpc::ByteBuffer reply_;
  grpc::Status status_;
};

class GrpcClientEngine final : public Engine {
 public:
  GrpcClientEngine(DatapathContext& context, std::shared_ptr<GrpcInterop> interop)
      : context_(context),
        interop_(std::move(interop)),
        paths_(interop_->method_paths(context_.schema_hash())),
        stub_(interop_->channel()) {
    context_.watch(link_->finished.fd(), EPOLLIN);
  }

  ~GrpcClientEngine() override {
    if (!link_) return;  // handed to a successor
    take_handover();     // a successor that never ran still cancels what it was given
    context_.watch(link_->finished.fd(), 0);
    std::lock_guard lock(link_->mutex);
    link_->closed = true;
    for (GrpcClientCall* call : link_->finished.take()) {
      link_->in_flight.erase(call);
      delete call;
    }
    for (GrpcClientCall* call : link_->in_flight) call->context().TryCancel();
  }

  const char* name() const override { return "grpc-client"; }

  size_t do_work(EnginePorts& ports) override {
    ports_ = &ports;
    take_handover();
    size_t work = 0;
    for (; work < kBudget && !ports.requests_in->empty(); ++work) {
      start(ports.requests_in->front());
      ports.requests_in->pop_front();
    }
    for (GrpcClientCall* call : link_->finished.take()) {
      finish(std::unique_ptr<GrpcClientCall>(call));
      ++work;
    }
    return work;
  }

  // The calls in flight move to the successor with the link they report to: the state carries a
  // token under which give_back() leaves the link at the interop. State v2: u64 replies, failed,
  // handover token (0: none), calls in flight; v1 lacks the last two.
  EngineState decompose() override {
    handover_ = link_->in_flight.empty() ? 0 : interop_->new_handover_token();
    StateWriter out;
    out.put(replies_), out.put(failed_), out.put(handover_), out.put<uint64_t>(link_->in_flight.size());
    return std::move(out).finish(kStateVersion);
  }

  void restore(const EngineState& state) override {
    if (state.version == 1) return restore_counters(state, 1, kEngine, {&replies_, &failed_});
    require_newest_state(state, kStateVersion, kEngine);
    StateReader in(state, kEngine);
    replies_ = in.get<uint64_t>(), failed_ = in.get<uint64_t>(), taken_ = in.get<uint64_t>();
    const uint64_t in_flight = in.get<uint64_t>();
    in.expect_end();
    if ((taken_ == 0) != (in_flight == 0)) in.fail("a handover token without calls, or calls without one");
  }

  // After a successful restore: the link, with the calls in flight, goes to the interop for the
  // successor; this engine no longer watches it.
  void give_back(EnginePorts&) override {
    if (handover_ == 0) return;
    context_.watch(link_->finished.fd(), 0);
    interop_->leave(handover_, kEngine, std::move(link_));
  }

  void report(EngineReport& r) const override {
    r.counters = {{"replies", replies_}, {"failed", failed_}, {"in_flight", link_ ? link_->in_flight.size() : 0}};
  }

 private:
  void start(const RpcMessage& m) {
    if (!m.wire || m.method == 0 || m.method >= paths_.size()) {
      // Without a schema there is no method name to call (and gRPC peers speak protobuf).
      net::log(LogLevel::kWarning, "rpc", "connection {}: call {} method {}: no gRPC method for it{}",
               context_.connection_id(), m.call_id, m.method,
               m.wire ? "" : " (the application sent no schema)");
      return answer(m, Status::kUnknownMethod);
    }
    auto call = std::make_unique<GrpcClientCall>(link_, m);
    call->start(stub_, paths_[m.method], to_byte_buffer(context_, *m.wire), interop_->queue());
    link_->in_flight.insert(call.release());
  }

  void finish(std::unique_ptr<GrpcClientCall> call) {
    link_->in_flight.erase(call.get());
    const RpcMessage& request = call->request();
    const grpc::Status& status = call->status();
    if (!status.ok()) {
      net::log(LogLevel::kInfo, "rpc", "connection {}: call {} {}: gRPC status {}: {}",
               context_.connection_id(), request.call_id, paths_[request.method],
               static_cast<int>(status.error_code()), one_line(status.error_message(), 200));
      const Status fixnet_status = from_grpc_status(status.error_code());
      if (is_application_status(fixnet_status) && !status.error_message().empty()) {
        // The server's handler failed the call: its message goes to the caller, as over TCP.
        const std::string& text = status.error_message();
        if (auto buffer = context_.allocate_reply(std::min<size_t>(text.size(), 256))) {
          std::memcpy(buffer->bytes.data(), text.data(), buffer->bytes.size());
          return answer(request, fixnet_status, buffer->offset, buffer->bytes.size());
        }
      }
      return answer(request, fixnet_status);
    }
    auto buffer = to_receive_buffer(context_, call->reply());
    if (!buffer) return answer(request, Status::kNoReceiveSpace);
    ++replies_;
    answer(request, Status::kOk, buffer->offset, buffer->bytes.size());
  }

  // The link (and calls) a predecessor left for this engine (restore() read their token), once: it
  // replaces this engine's own, which has no call yet.
  void take_handover() {
    if (taken_ == 0) return;
    auto link = std::static_pointer_cast<ClientLink>(interop_->take(std::exchange(taken_, 0), kEngine));
    if (!link) return;  // a predecessor rolled back, or the token named nothing
    context_.watch(link_->finished.fd(), 0);
    link_ = std::move(link);
    context_.watch(link_->finished.fd(), EPOLLIN);
  }

  void answer(const RpcMessage& request, Status status, uint64_t offset = kNoOffset, uint64_t length = 0) {
    if (status != Status::kOk) ++failed_;
    ports_->replies_out->push_back(reply_to(request, status, offset, length));
  }

  DatapathContext& context_;
  std::shared_ptr<GrpcInterop> interop_;
  const std::vector<std::string> paths_;  // by method number
  grpc::GenericStub stub_;
  std::shared_ptr<ClientLink> link_ = std::make_shared<ClientLink>();  // null once handed over
  EnginePorts* ports_ = nullptr;
  uint64_t replies_ = 0, failed_ = 0;
  uint64_t handover_ = 0;  // decompose(): the token give_back() leaves the link under
  uint64_t taken_ = 0;     // restore(): the token to take a predecessor's link by
};

Engine* create(DatapathContext* context, const char* config) {
  const std::string_view text(config);
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  auto interop = ec == std::errc() && end == text.data() + text.size() ? GrpcInterop::find(id) : nullptr;
  if (!interop || !interop->channel()) {
    net::log(LogLevel::kError, "rpc", "grpc-client engine: config '{}' names no gRPC interop with a peer",
             text);
    return nullptr;
  }
  try {
    return new GrpcClientEngine(*context, std::move(interop));
  } catch (const Error& e) {
    net::log(LogLevel::kError, "rpc", "grpc-client engine: {}", e.what());
    return nullptr;
  }
}

const fixnet_rpc_engine_plugin kPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "grpc-client", &create, FIXNET_RPC_BEFORE_MARSHAL};

}  // namespace

const fixnet_rpc_engine_plugin* builtin_grpc_client_engine() { return &kPlugin; }

}  // namespace fixnet::rpc
