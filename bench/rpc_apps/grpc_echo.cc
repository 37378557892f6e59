// The gRPC rows: a C++ server and client on Debian's libgrpc++ with examples/rpc/echo.proto — the
// callback server API, a synchronous stub for calls one at a time, and the asynchronous stub with
// a completion queue to keep many calls in flight. The sidecar row runs this same client and server,
// only the client's port is nginx's.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <deque>
#include <iostream>
#include <stdexcept>
#include <string>

#include "bench/rpc_apps/bench_app.h"
#include "echo.grpc.pb.h"

namespace fixnet::bench::rpc_app {
namespace {

using examples::echo::Echo;
using examples::echo::EchoReply;
using examples::echo::EchoRequest;

constexpr int kMaxMessage = 64 << 20;  // goodput sends 8 MiB; gRPC's default limit is 4 MB

// The callback API: gRPC's recommended server API, answering on its own polling threads (the sync API's
// thread pool managed only ~2k calls/s with 128 in flight here).
class EchoService final : public Echo::CallbackService {
  grpc::ServerUnaryReactor* Call(grpc::CallbackServerContext* context, const EchoRequest*, EchoReply* reply) override {
    reply->mutable_data()->assign(kReplyBytes, 'r');
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

void check(const grpc::Status& status, const EchoReply& reply) {
  if (!status.ok()) throw std::runtime_error("gRPC call failed: " + status.error_message());
  if (reply.data().size() != kReplyBytes) throw std::runtime_error("gRPC reply of the wrong size");
}

class GrpcCaller : public Caller {
 public:
  explicit GrpcCaller(uint16_t port) {
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(kMaxMessage);
    args.SetMaxReceiveMessageSize(kMaxMessage);
    stub_ = Echo::NewStub(grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                                    grpc::InsecureChannelCredentials(), args));
  }

  void call(size_t size) override {
    request_.mutable_data()->assign(size, 'q');
    grpc::ClientContext context;
    EchoReply reply;
    check(stub_->Call(&context, request_, &reply), reply);
  }

  uint64_t pipelined(size_t size, size_t outstanding, double seconds) override {
    request_.mutable_data()->assign(size, 'q');
    grpc::CompletionQueue queue;
    std::deque<InFlight> calls(outstanding);
    for (InFlight& c : calls) start(c, queue);
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    uint64_t done = 0;
    size_t draining = 0;
    void* tag;
    bool ok;
    while (draining < outstanding && queue.Next(&tag, &ok)) {
      InFlight& c = *static_cast<InFlight*>(tag);
      if (!ok) throw std::runtime_error("gRPC completion queue failed");
      check(c.status, c.reply);
      ++done;
      if (std::chrono::steady_clock::now() < end)
        start(c, queue);
      else
        ++draining;
    }
    queue.Shutdown();
    while (queue.Next(&tag, &ok)) {
    }
    return done;
  }

 private:
  struct InFlight {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientAsyncResponseReader<EchoReply>> reader;
    EchoReply reply;
    grpc::Status status;
  };

  void start(InFlight& c, grpc::CompletionQueue& queue) {
    c.context = std::make_unique<grpc::ClientContext>();
    c.reader = stub_->AsyncCall(c.context.get(), request_, &queue);
    c.reader->Finish(&c.reply, &c.status, &c);
  }

  std::unique_ptr<Echo::Stub> stub_;
  EchoRequest request_;
};

}  // namespace

int serve_grpc() {
  EchoService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(kMaxMessage);
  builder.SetMaxSendMessageSize(kMaxMessage);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) throw std::runtime_error("the gRPC server did not start");
  std::cout << "port " << port << std::endl;
  server->Wait();
  return 0;
}

std::unique_ptr<Caller> grpc_caller(uint16_t port) { return std::make_unique<GrpcCaller>(port); }

}  // namespace fixnet::bench::rpc_app
