// rpc-test-grpc-peer: an ordinary gRPC program on Debian's libgrpc++ and protoc's generated code for
// examples/rpc/echo.proto and kv.proto — what the gRPC interop tests (tests/rpc/grpc_interop_test.cc)
// put on the other side of fixnetd:
//   serve [PORT]                Echo and KeyValue on 127.0.0.1:PORT (default: a free port); prints
//                               "port N". An Echo
//                               request of "hold" prints "holding" and is answered only after 60 s;
//                               one of "until:PATH" is answered once PATH exists (at most 60 s).
//   echo TARGET TEXT [COUNT]    COUNT Echo calls in flight at once; prints the first answer
//   kv TARGET put K V | get K | scan [START [END [LIMIT]]]   prints like examples/rpc/kv_client
// A failed call prints "CALL: gRPC status CODE: MESSAGE" to stderr and exits 1.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "echo.grpc.pb.h"
#include "kv.grpc.pb.h"

namespace {

namespace echo = fixnet::examples::echo;
namespace kv = fixnet::examples::kv;

class EchoImpl final : public echo::Echo::Service {
  grpc::Status Call(grpc::ServerContext*, const echo::EchoRequest* request, echo::EchoReply* reply) override {
    if (request->data() == "hold") {
      std::cout << "holding" << std::endl;
      std::this_thread::sleep_for(std::chrono::seconds(60));
    }
    if (request->data().rfind("until:", 0) == 0) {
      std::cout << "holding" << std::endl;
      const std::string path = request->data().substr(6);
      for (int i = 0; i < 6000 && ::access(path.c_str(), F_OK) != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    reply->set_data(request->data());
    return grpc::Status::OK;
  }
};

class KeyValueImpl final : public kv::KeyValue::Service {
  grpc::Status Get(grpc::ServerContext*, const kv::GetRequest* request, kv::GetReply* reply) override {
    std::lock_guard lock(mutex_);
    auto it = map_.find(request->key());
    reply->set_found(it != map_.end());
    if (it != map_.end()) reply->set_value(it->second);
    return grpc::Status::OK;
  }
  grpc::Status Put(grpc::ServerContext*, const kv::PutRequest* request, kv::PutReply* reply) override {
    std::lock_guard lock(mutex_);
    reply->set_replaced(!map_.insert_or_assign(request->key(), request->value()).second);
    return grpc::Status::OK;
  }
  grpc::Status Scan(grpc::ServerContext*, const kv::ScanRequest* request, kv::ScanReply* reply) override {
    std::lock_guard lock(mutex_);
    auto it = map_.lower_bound(request->start());
    for (; it != map_.end() && (request->end().empty() || it->first < request->end()); ++it) {
      if (request->limit() != 0 && static_cast<uint32_t>(reply->entries_size()) >= request->limit()) break;
      auto* entry = reply->add_entries();
      entry->set_key(it->first);
      entry->set_value(it->second);
    }
    return grpc::Status::OK;
  }

  std::mutex mutex_;
  std::map<std::string, std::string> map_;
};

int failed(const char* call, const grpc::Status& status) {
  std::fprintf(stderr, "%s: gRPC status %d: %s\n", call, static_cast<int>(status.error_code()),
               status.error_message().c_str());
  return 1;
}

int serve(int wanted_port) {
  EchoImpl echo_service;
  KeyValueImpl kv_service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(wanted_port), grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&echo_service);
  builder.RegisterService(&kv_service);
  auto server = builder.BuildAndStart();
  if (!server || port == 0) return std::fprintf(stderr, "serve: the gRPC server did not start\n"), 1;
  std::cout << "port " << port << std::endl;
  server->Wait();
  return 0;
}

int call_echo(const std::string& target, const std::string& text, int count) {
  auto stub = echo::Echo::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  struct InFlight {
    grpc::ClientContext context;
    echo::EchoReply reply;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<echo::EchoReply>> reader;
  };
  grpc::CompletionQueue queue;
  echo::EchoRequest request;
  request.set_data(text);
  std::vector<std::unique_ptr<InFlight>> calls;
  for (int i = 0; i < count; ++i) {
    calls.push_back(std::make_unique<InFlight>());
    InFlight& c = *calls.back();
    c.reader = stub->AsyncCall(&c.context, request, &queue);
    c.reader->Finish(&c.reply, &c.status, &c);
  }
  for (int i = 0; i < count; ++i) {
    void* tag;
    bool ok;
    queue.Next(&tag, &ok);
  }
  for (auto& c : calls) {
    if (!c->status.ok()) return failed("echo", c->status);
    if (c->reply.data() != text) return std::fprintf(stderr, "echo: answered other bytes\n"), 1;
  }
  std::cout << calls.front()->reply.data() << std::endl;
  return 0;
}

int call_kv(const std::string& target, const std::vector<std::string>& args) {
  auto stub = kv::KeyValue::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  const std::string op = args.empty() ? "" : args[0];
  if (op == "put" && args.size() == 3) {
    kv::PutRequest request;
    request.set_key(args[1]);
    request.set_value(args[2]);
    kv::PutReply reply;
    if (auto s = stub->Put(&context, request, &reply); !s.ok()) return failed("put", s);
    std::cout << (reply.replaced() ? "replaced" : "stored") << std::endl;
  } else if (op == "get" && args.size() == 2) {
    kv::GetRequest request;
    request.set_key(args[1]);
    kv::GetReply reply;
    if (auto s = stub->Get(&context, request, &reply); s.error_code() == grpc::StatusCode::NOT_FOUND) {
      std::cout << "not found" << std::endl;  // a fixnet kv_server fails Get of a missing key
      return 0;
    } else if (!s.ok()) {
      return failed("get", s);
    }
    std::cout << (reply.found() ? reply.value() : "not found") << std::endl;
  } else if (op == "scan" && args.size() <= 4) {
    kv::ScanRequest request;
    if (args.size() > 1) request.set_start(args[1]);
    if (args.size() > 2) request.set_end(args[2]);
    if (args.size() > 3) request.set_limit(static_cast<uint32_t>(std::stoul(args[3])));
    kv::ScanReply reply;
    if (auto s = stub->Scan(&context, request, &reply); !s.ok()) return failed("scan", s);
    for (const auto& e : reply.entries()) std::cout << e.key() << "=" << e.value() << "\n";
  } else {
    return std::fprintf(stderr, "usage: kv TARGET put K V | get K | scan [START [END [LIMIT]]]\n"), 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args.size() <= 2 && args[0] == "serve")
    return serve(args.size() == 2 ? std::stoi(args[1]) : 0);
  if (args.size() >= 3 && args.size() <= 4 && args[0] == "echo")
    return call_echo(args[1], args[2], args.size() == 4 ? std::atoi(args[3].c_str()) : 1);
  if (args.size() >= 3 && args[0] == "kv") return call_kv(args[1], {args.begin() + 2, args.end()});
  std::fprintf(stderr, "usage: rpc-test-grpc-peer serve [PORT] | echo TARGET TEXT [COUNT] | kv TARGET OP…\n");
  return 2;
}
