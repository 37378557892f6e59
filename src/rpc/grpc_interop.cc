#include "rpc/grpc_interop.h"

#include <grpc/support/log.h>

#include <chrono>

#include "core/error.h"
#include "net/log.h"
#include "net/tcp.h"
#include "rpc/object_registry.h"

namespace fixnet::rpc {

namespace {

using net::LogLevel;

// Accepted-call slots kept posted on the server: a burst of new calls need not wait for the
// completion thread to post the next one.
constexpr int kAcceptDepth = 16;

ObjectRegistry<GrpcInterop>& registry() {
  static ObjectRegistry<GrpcInterop> interops;
  return interops;
}

// gRPC's own log lines go to fixnetd's log at debug level: what a user must know (an address gRPC
// cannot listen on, a call that failed) the service reports itself, in one line.
void log_grpc(gpr_log_func_args* args) {
  net::log(LogLevel::kDebug, "grpc", "{}:{}: {}", args->file ? args->file : "?", args->line,
           args->message ? args->message : "");
}

std::string method_path(const google::protobuf::MethodDescriptor& method) {
  return "/" + method.service()->full_name() + "/" + method.name();
}

}  // namespace

GrpcServerCall::GrpcServerCall(GrpcInterop& interop) : interop_(interop), stream_(&context_) {
  interop_.service_.RequestCall(&context_, &stream_, interop_.server_queue_, interop_.server_queue_, this);
}

void GrpcServerCall::completed(bool ok) {
  // Shutting down: no new operation may go on the queue; the server cancelled the call.
  if (state_ == State::kFinishing || interop_.stopping_.load()) {
    delete this;
    return;
  }
  switch (state_) {
    case State::kWaiting:
      if (!ok) {  // the server is shutting down
        delete this;
        return;
      }
      new GrpcServerCall(interop_);
      state_ = State::kReading;
      stream_.Read(&request_, this);
      return;
    case State::kReading:
      // A unary call carries exactly one message; a client that half-closes without one sent nothing
      // to decode.
      if (!ok)
        return fail(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the call carried no request message"));
      interop_.dispatch(this);
      return;
    case State::kFinishing:
      return;  // handled above
  }
}

void GrpcServerCall::answer(grpc::ByteBuffer reply) {
  reply_ = std::move(reply);
  state_ = State::kFinishing;
  stream_.WriteAndFinish(reply_, grpc::WriteOptions(), grpc::Status::OK, this);
}

void GrpcServerCall::fail(const grpc::Status& status) {
  state_ = State::kFinishing;
  stream_.Finish(status, this);
}

GrpcInterop::GrpcInterop(GrpcInteropOptions options) : options_(std::move(options)), id_(registry().next_id()) {
  gpr_set_log_function(&log_grpc);
  if (!options_.listen.empty()) {
    net::parse_tcp_address(options_.listen);  // the project's one-line error for a bad address
    grpc::ServerBuilder builder;
    builder.AddListeningPort(options_.listen, grpc::InsecureServerCredentials(), &port_);
    // gRPC shares ports by default (SO_REUSEPORT): a second fixnetd would silently take half the calls.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.RegisterAsyncGenericService(&service_);
    builder.SetMaxReceiveMessageSize(static_cast<int>(options_.max_message_bytes));
    builder.SetMaxSendMessageSize(-1);  // replies are bounded by the marshaller
    auto queue = builder.AddCompletionQueue();
    server_queue_ = queue.get();
    queue_ = std::move(queue);
    server_ = builder.BuildAndStart();
    if (!server_ || port_ == 0)
      throw EnvironmentError("cannot serve gRPC on " + options_.listen +
                             " (address in use or not local?); pick another --grpc-listen HOST:PORT");
  } else {
    queue_ = std::make_unique<grpc::CompletionQueue>();
  }
  if (!options_.peer.empty()) {
    net::parse_tcp_address(options_.peer);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(static_cast<int>(options_.max_message_bytes));
    args.SetMaxSendMessageSize(-1);
    // Connections are made when the first call needs one; a server that is down fails calls fast
    // (UNAVAILABLE) instead of queueing them until it comes back. gRPC's reconnect backoff grows to
    // 120 s by default: a restarted server would wait that long for its callers. Like the TCP
    // transport's kReconnectBackoff, retry soon (100 ms, growing to at most 1 s). Not the "min"
    // backoff: gRPC takes that as the connect timeout (20 s), and a loaded host needs more than 100 ms
    // for the HTTP/2 handshake.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    channel_ = grpc::CreateCustomChannel(options_.peer, grpc::InsecureChannelCredentials(), args);
  }
}

std::shared_ptr<GrpcInterop> GrpcInterop::start(const GrpcInteropOptions& options) {
  std::shared_ptr<GrpcInterop> interop(new GrpcInterop(options));
  if (interop->server_)
    for (int i = 0; i < kAcceptDepth; ++i) new GrpcServerCall(*interop);
  interop->thread_ = std::thread([raw = interop.get()] { raw->drain(); });
  registry().add(interop->id_, interop);
  return interop;
}

std::shared_ptr<GrpcInterop> GrpcInterop::find(uint64_t id) {
  return registry().find(id);
}

GrpcInterop::~GrpcInterop() {
  registry().erase(id_);
  // Calls left for a successor that never came: answered (they fail) while the queue still runs.
  std::map<uint64_t, std::pair<std::string, std::shared_ptr<void>>> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(handovers_);
  }
  left.clear();
  stopping_ = true;
  // Every engine is gone (they hold us), so no call waits on one: shutting down now cancels only
  // calls still being read or accepted.
  if (server_) server_->Shutdown(std::chrono::system_clock::now());
  queue_->Shutdown();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

void GrpcInterop::drain() {
  void* tag;
  bool ok;
  while (queue_->Next(&tag, &ok)) static_cast<GrpcTag*>(tag)->completed(ok);
}

void GrpcInterop::learn(std::shared_ptr<const Schema> schema) {
  std::lock_guard lock(mutex_);
  if (!schemas_.emplace(schema->hash(), schema).second) return;
  for (const SchemaMethod& m : schema->methods())
    routes_[method_path(*m.method)].push_back(Route{schema->hash(), m.id, m.method->service()->full_name()});
}

std::vector<std::string> GrpcInterop::method_paths(const SchemaHash& schema) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> paths;
  auto it = schemas_.find(schema);
  if (it == schemas_.end()) return paths;
  paths.resize(it->second->methods().size() + 1);
  for (const SchemaMethod& m : it->second->methods())
    if (m.id < paths.size()) paths[m.id] = method_path(*m.method);
  return paths;
}

void GrpcInterop::bind(const SchemaHash& schema, GrpcEndpoint* endpoint, const std::string& service) {
  std::lock_guard lock(mutex_);
  endpoints_[schema].bound.push_back({endpoint, service});
  ++bound_;
}

void GrpcInterop::unbind(const SchemaHash& schema, GrpcEndpoint* endpoint) {
  std::lock_guard lock(mutex_);
  auto it = endpoints_.find(schema);
  if (it == endpoints_.end()) return;
  auto& bound = it->second.bound;
  for (auto e = bound.begin(); e != bound.end(); ++e)
    if (e->endpoint == endpoint) {
      bound.erase(e);
      --bound_;
      break;
    }
  if (bound.empty()) endpoints_.erase(it);
}

void GrpcInterop::leave(uint64_t token, const char* kind, std::shared_ptr<void> calls) {
  std::lock_guard lock(mutex_);
  handovers_[token] = {kind, std::move(calls)};
}

std::shared_ptr<void> GrpcInterop::take(uint64_t token, const char* kind) {
  std::lock_guard lock(mutex_);
  auto it = handovers_.find(token);
  if (it == handovers_.end() || it->second.first != kind) return nullptr;
  std::shared_ptr<void> calls = std::move(it->second.second);
  handovers_.erase(it);
  return calls;
}

void GrpcInterop::dispatch(GrpcServerCall* call) {
  std::lock_guard lock(mutex_);
  const std::string& path = call->method();
  if (bound_ == 0)
    return call->fail(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   "no serving application is bound to this fixnet service (" + path + ")"));
  auto route = routes_.find(path);
  if (route == routes_.end())
    return call->fail(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                   "no serving application's schema has the method " + path));
  for (const Route& r : route->second) {
    auto it = endpoints_.find(r.schema);
    if (it == endpoints_.end()) continue;
    Endpoints& e = it->second;
    // Those serving the method's service by name, else those serving no named service.
    std::vector<GrpcEndpoint*> serving;
    for (const std::string& wanted : {r.service, std::string()}) {
      for (const Bound& b : e.bound)
        if (b.service == wanted) serving.push_back(b.endpoint);
      if (!serving.empty()) break;
    }
    if (serving.empty()) continue;
    serving[e.next++ % serving.size()]->push(GrpcInboundCall{call, r.method});
    return;
  }
  call->fail(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the application serving " + path + " is not bound to this fixnet service now"));
}

}  // namespace fixnet::rpc
