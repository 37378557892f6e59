// The fixnet_raw row's applications: rpc::Client and rpc::Server with raw bytes and no schema (so no
// marshalling engine), each connected to its own fixnetd (client → fixnetd A ─TCP─► fixnetd B →
// server). Method 1 throughout. The fixnet row (fixnet_stub.cc) is the same path with the Echo stubs.
#include <cstring>
#include <deque>
#include <iostream>
#include <stdexcept>
#include <vector>

#include "bench/rpc_apps/bench_app.h"
#include "rpc/client.h"
#include "rpc/server.h"

namespace fixnet::bench::rpc_app {
namespace {

constexpr uint32_t kMethod = 1;

void check(const rpc::Client::Reply& reply) {
  if (!reply.ok()) throw std::runtime_error("fixnet call failed with status " + std::to_string(int(reply.status())));
  if (reply.bytes().size() != kReplyBytes) throw std::runtime_error("fixnet reply of the wrong size");
}

class FixnetCaller : public Caller {
 public:
  explicit FixnetCaller(const std::string& socket) : client_(rpc::Client::connect(socket)) {}

  void call(size_t size) override {
    request_.resize(size, 'q');
    check(client_->call(kMethod, request_));
  }

  uint64_t pipelined(size_t size, size_t outstanding, double seconds) override {
    request_.resize(size, 'q');
    std::deque<uint64_t> calls;
    for (size_t i = 0; i < outstanding; ++i) calls.push_back(send());
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    uint64_t done = 0;
    while (!calls.empty()) {
      check(client_->wait(calls.front()));
      calls.pop_front();
      ++done;
      if (std::chrono::steady_clock::now() < end) calls.push_back(send());
    }
    return done;
  }

 private:
  uint64_t send() {
    rpc::Client::Message m = client_->allocate(request_.size());
    std::memcpy(m.bytes.data(), request_.data(), request_.size());
    return client_->send(kMethod, m, request_.size());
  }

  std::unique_ptr<rpc::Client> client_;
  std::vector<uint8_t> request_;
};

}  // namespace

int serve_fixnet_raw(const std::string& socket) {
  auto server = rpc::Server::bind(socket);
  const uint8_t answer[kReplyBytes] = {'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'};
  std::cout << "ready" << std::endl;
  while (auto request = server->next_request()) server->reply(request->call_id(), answer);
  return 0;
}

std::unique_ptr<Caller> fixnet_raw_caller(const std::string& socket) { return std::make_unique<FixnetCaller>(socket); }

}  // namespace fixnet::bench::rpc_app
