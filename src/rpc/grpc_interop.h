// GrpcInterop: what lets ordinary gRPC peers and fixnet applications call each other (docs/rpc.md,
// "gRPC interop"), on Debian's libgrpc++ generic API (AsyncGenericService, GenericStub, ByteBuffer:
// no per-schema generated gRPC code). One per rpc::Service, shared by the gRPC engines
// (grpc_transport.h) of its datapaths. It owns
//  - one completion queue and the thread that drains it: gRPC's asynchronous API needs a thread that
//    waits, and engines never block, so calls cross between that thread and the runtimes through
//    mailboxes (net/mailbox.h) whose eventfds the runtimes watch;
//  - with `listen`: the gRPC server. An inbound call `/package.Service/Method` is resolved by full
//    name against the schemas of the serving applications (learn()) and handed to one bound with that
//    schema serving `package.Service` — or, when none does, serving no named service — (bind(),
//    round-robin; docs/rpc.md, "Routing by service");
//  - with `peer`: the channel to the gRPC server that calling applications' `grpc-client` engines use.
//
// Thread-safety: learn/bind/unbind/method_paths may be called from any thread. The engines use a
// GrpcServerCall they were handed only on their own thread. Engines hold the interop by shared_ptr
// (find()), so it outlives every engine and call.
#pragma once

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/mailbox.h"
#include "rpc/schema.h"

namespace fixnet::rpc {

// Every tag on the interop's completion queue: its operation finished (ok: as gRPC reports it).
class GrpcTag {
 public:
  virtual ~GrpcTag() = default;
  virtual void completed(bool ok) = 0;
};

class GrpcInterop;

// One inbound gRPC call: accepted, its request read, then handed to a serving engine, which answers
// it exactly once (answer or fail); it deletes itself when gRPC is done with it.
class GrpcServerCall final : public GrpcTag {
 public:
  explicit GrpcServerCall(GrpcInterop& interop);
  void completed(bool ok) override;

  const std::string& method() const { return context_.method(); }
  const grpc::ByteBuffer& request() const { return request_; }
  void answer(grpc::ByteBuffer reply);
  void fail(const grpc::Status& status);

 private:
  enum class State { kWaiting, kReading, kFinishing };
  GrpcInterop& interop_;
  State state_ = State::kWaiting;
  grpc::GenericServerContext context_;
  grpc::GenericServerAsyncReaderWriter stream_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer reply_;
};

// A call on its way to a serving engine, with the method number of the engine's schema.
struct GrpcInboundCall {
  GrpcServerCall* call;
  uint32_t method;
};
using GrpcEndpoint = net::Mailbox<GrpcInboundCall>;

struct GrpcInteropOptions {
  std::string listen;  // "HOST:PORT" (port 0: any), or empty: no gRPC server
  std::string peer;    // "HOST:PORT" of the gRPC server calling applications use, or empty
  uint64_t max_message_bytes = 8 << 20;
};

class GrpcInterop {
 public:
  // Starts the server (if any) and the completion-queue thread. Throws InputError for a bad address,
  // EnvironmentError when gRPC cannot listen there.
  static std::shared_ptr<GrpcInterop> start(const GrpcInteropOptions& options);
  // The running interop of this id (an engine's config names it), or null.
  static std::shared_ptr<GrpcInterop> find(uint64_t id);
  ~GrpcInterop();
  GrpcInterop(const GrpcInterop&) = delete;
  GrpcInterop& operator=(const GrpcInterop&) = delete;

  uint64_t id() const { return id_; }
  bool serving() const { return server_ != nullptr; }
  int port() const { return port_; }  // the gRPC server's port
  const GrpcInteropOptions& options() const { return options_; }

  // A schema an application connected with: its methods become resolvable by full name.
  void learn(std::shared_ptr<const Schema> schema);
  // "/package.Service/Method" of each method of a learned schema, by method number (index 0 unused).
  std::vector<std::string> method_paths(const SchemaHash& schema) const;
  // A serving engine of `schema` takes calls to `service` (a proto full name; empty: any service of
  // the schema nobody serves by name) from `endpoint` until unbind().
  void bind(const SchemaHash& schema, GrpcEndpoint* endpoint, const std::string& service = {});
  void unbind(const SchemaHash& schema, GrpcEndpoint* endpoint);

  // Routes a call to a serving engine, or fails it (UNIMPLEMENTED, UNAVAILABLE): when its request is
  // read, and again when the engine it went to goes away or is upgraded before delivering it (to
  // another bound engine, or the successor).
  void dispatch(GrpcServerCall* call);

  // Calls in flight moving from a gRPC engine to its successor (an upgrade; docs/rpc.md, "Upgrading a
  // transport"): the old engine leaves them here under a token its state carries (give_back), the
  // successor takes them on its first round. `kind` (the engine's name) must match, so a token from
  // another engine's state finds nothing; what nobody takes is dropped with the interop.
  uint64_t new_handover_token() { return next_handover_.fetch_add(1); }
  void leave(uint64_t token, const char* kind, std::shared_ptr<void> calls);
  std::shared_ptr<void> take(uint64_t token, const char* kind);

  grpc::CompletionQueue* queue() { return queue_.get(); }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  friend class GrpcServerCall;
  struct Route {
    SchemaHash schema;
    uint32_t method;
    std::string service;  // the method's service's full name
  };
  struct Bound {
    GrpcEndpoint* endpoint;
    std::string service;  // empty: any
  };
  struct Endpoints {
    std::vector<Bound> bound;
    size_t next = 0;  // round-robin
  };

  explicit GrpcInterop(GrpcInteropOptions options);
  void drain();
  GrpcInteropOptions options_;
  uint64_t id_;
  grpc::AsyncGenericService service_;
  std::unique_ptr<grpc::CompletionQueue> queue_;
  grpc::ServerCompletionQueue* server_queue_ = nullptr;  // queue_, when serving
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  mutable std::mutex mutex_;  // the maps below
  std::map<SchemaHash, std::shared_ptr<const Schema>> schemas_;
  std::map<std::string, std::vector<Route>> routes_;  // by "/package.Service/Method"
  std::map<SchemaHash, Endpoints> endpoints_;
  size_t bound_ = 0;  // endpoints over all schemas
  std::atomic<uint64_t> next_handover_{1};
  std::map<uint64_t, std::pair<std::string, std::shared_ptr<void>>> handovers_;  // by token: kind, calls
};

}  // namespace fixnet::rpc
