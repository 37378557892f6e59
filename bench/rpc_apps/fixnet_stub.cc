// The fixnet row's applications: the Echo client and server stubs protoc-gen-fixnet generates from
// examples/rpc/echo.proto (the gRPC rows' file), as a real application uses them. Connecting sends the
// schema in the Hello, so each fixnetd puts its marshalling engine on the connection's datapath: a
// request is built in the send heap as an EchoRequest, encoded to protobuf's wire format by fixnetd A,
// decoded back into an EchoRequest in the server's receive heap by fixnetd B; the reply likewise.
// Each connects to its own fixnetd (client → fixnetd A ─TCP─► fixnetd B → server).
#include <chrono>
#include <deque>
#include <iostream>
#include <stdexcept>
#include <vector>

#include "bench/rpc_apps/bench_app.h"
#include "echo.fixnet.h"

namespace fixnet::bench::rpc_app {
namespace {

using examples::echo::EchoClient;
using examples::echo::EchoReply;
using examples::echo::EchoRequest;
using examples::echo::EchoService;

// Answers every request with kReplyBytes bytes, as the gRPC server does.
class EchoImpl final : public EchoService {
 public:
  void Call(const EchoRequest&, EchoReply& reply) override { reply.set_data(std::span<const uint8_t>(answer_)); }

 private:
  const std::vector<uint8_t> answer_ = std::vector<uint8_t>(kReplyBytes, 'r');
};

// `denied_ok`: a call an ACL policy refused counts as answered (`fixnet bench rpc-policy` blocks 1%).
void check(const rpc::stub::Result<EchoReply>& reply, bool denied_ok = false) {
  if (denied_ok && reply.status() == rpc::Status::kDenied) return;
  if (!reply.ok()) throw std::runtime_error("fixnet call failed: " + std::string(status_text(reply.status())));
  if (reply->data().size() != kReplyBytes) throw std::runtime_error("fixnet reply of the wrong size");
}

class StubCaller : public Caller {
 public:
  explicit StubCaller(const std::string& socket) : client_(EchoClient::connect(socket)) {}

  void call(size_t size) override { check(client_.Call(request(size))); }

  uint64_t pipelined(size_t size, size_t outstanding, double seconds) override {
    std::deque<rpc::stub::Pending<EchoReply>> calls;
    for (size_t i = 0; i < outstanding; ++i) calls.push_back(client_.CallAsync(request(size)));
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    uint64_t done = 0;
    while (!calls.empty()) {
      check(calls.front().get(), true);
      calls.pop_front();
      ++done;
      if (std::chrono::steady_clock::now() < end) calls.push_back(client_.CallAsync(request(size)));
    }
    return done;
  }

  std::vector<uint64_t> timeline(size_t size, size_t outstanding, double seconds, double bucket,
                                 uint64_t& failed) override {
    std::vector<uint64_t> buckets(static_cast<size_t>(seconds / bucket) + 1, 0);
    std::deque<rpc::stub::Pending<EchoReply>> calls;
    for (size_t i = 0; i < outstanding; ++i) calls.push_back(client_.CallAsync(request(size)));
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::duration<double>(seconds);
    while (!calls.empty()) {
      const auto reply = calls.front().get();
      calls.pop_front();
      const auto now = std::chrono::steady_clock::now();
      if (!reply.ok()) ++failed;
      const auto at = static_cast<size_t>(std::chrono::duration<double>(now - start).count() / bucket);
      if (at < buckets.size()) ++buckets[at];
      if (now < end) calls.push_back(client_.CallAsync(request(size)));
    }
    return buckets;
  }

 private:
  // A new request per call (the service owns a sent one), its data copied into the send heap. Every
  // 100th starts with 'x' instead of 'q': what `fixnet bench rpc-policy`'s ACL blocks.
  rpc::stub::Message<EchoRequest> request(size_t size) {
    data_.resize(size, 'q');
    if (size > 0) data_[0] = ++calls_ % 100 == 0 ? 'x' : 'q';
    auto request = client_.make<EchoRequest>();
    request->set_data(std::span<const uint8_t>(data_));
    return request;
  }

  EchoClient client_;
  std::vector<uint8_t> data_;
  uint64_t calls_ = 0;
};

}  // namespace

int serve_fixnet_stub(const std::string& socket) {
  auto server = EchoService::bind(socket);
  std::cout << "ready" << std::endl;
  EchoImpl().serve(*server);
  return 0;
}

std::unique_ptr<Caller> fixnet_stub_caller(const std::string& socket) { return std::make_unique<StubCaller>(socket); }

}  // namespace fixnet::bench::rpc_app
