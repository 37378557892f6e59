// Helpers for the operator-control tests: `fixnet rpc ctl` against a ServiceProcess, the chain of
// an application as `list` reports it, and a client that keeps calls in flight until stopped.
#pragma once

#include <atomic>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "rpc/client.h"
#include "rpc/operator_client.h"
#include "rpc_test_util.h"

namespace fixnet::rpc::testing {

// `fixnet rpc ctl --socket SOCKET ARGS` (the real command line).
inline ProgramResult ctl(const ServiceProcess& service, const std::string& args) {
  return run_program(std::string(FIXNET_BINARY) + " rpc ctl --socket " + service.socket().string() + " " + args);
}

// The same, which must succeed (attach, config, upgrade… in a test's set-up).
inline void ctl_ok(const ServiceProcess& service, const std::string& args) {
  const auto r = ctl(service, args);
  ASSERT_EQ(r.exit_code, 0) << args << ": " << r.output;
}

// The TCP port of the service's --metrics server (from its log).
inline std::string metrics_port(const ServiceProcess& service) {
  std::string log;
  EXPECT_TRUE(ServiceProcess::eventually([&] { return (log = service.log()).find("metrics on ") != std::string::npos; }));
  const std::string port = log.substr(log.find("(tcp port ", log.find("metrics on ")) + 10);
  return port.substr(0, port.find(')'));
}

inline nlohmann::json request(const ServiceProcess& service, const nlohmann::json& r) {
  return operator_request(service.socket().string() + ".ctl", r);
}

// The engines of the first application `list` shows: names, and the whole entries.
inline nlohmann::json engines(const ServiceProcess& service, size_t app_index = 0) {
  auto reply = request(service, {{"op", "list"}});
  return reply["applications"].at(app_index)["engines"];
}
inline std::vector<std::string> chain(const ServiceProcess& service, size_t app_index = 0) {
  std::vector<std::string> names;
  for (const auto& e : engines(service, app_index)) names.push_back(e["name"]);
  return names;
}

// A thread keeping `depth` calls in flight through a Caller until stop(), counting what it sent,
// what came back right and anything else. Caller::send() starts a call and returns it;
// Caller::finish(call) waits for its reply and returns "" when it came back right, else what was
// wrong.
template <class Caller>
class CallLoad {
 public:
  template <class... Args>
  explicit CallLoad(int depth, Args&&... caller_args) : caller_(std::forward<Args>(caller_args)...) {
    thread_ = std::thread([this, depth] { run(depth); });
  }
  ~CallLoad() { stop(); }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t sent() const { return sent_; }
  uint64_t good() const { return good_; }
  uint64_t bad() const { return bad_; }
  const std::string& first_error() const { return first_error_; }

 private:
  void run(int depth) {
    std::deque<typename Caller::Call> calls;
    try {
      while (!stopping_ || !calls.empty()) {
        while (!stopping_ && calls.size() < static_cast<size_t>(depth)) {
          calls.push_back(caller_.send());
          ++sent_;
        }
        const std::string error = caller_.finish(calls.front());
        calls.pop_front();
        if (error.empty()) ++good_;
        else if (bad_++ == 0) first_error_ = error;
      }
    } catch (const std::exception& e) {
      ++bad_;
      first_error_ = e.what();
    }
  }

  Caller caller_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> sent_{0}, good_{0}, bad_{0};
  std::string first_error_;
  std::thread thread_;
};

// Raw-bytes calls of method 1 (the echo engine's), each reply checked against its request's bytes.
class RawEchoCaller {
 public:
  explicit RawEchoCaller(const fs::path& socket) : client_(Client::connect(socket)) {}
  using Call = std::pair<uint64_t, uint64_t>;  // call id, seed
  Call send() {
    const auto bytes = pattern(64 + seed_ % 512, seed_);
    auto m = client_->allocate(bytes.size());
    std::memcpy(m.bytes.data(), bytes.data(), bytes.size());
    return {client_->send(1, m, bytes.size()), seed_++};
  }
  std::string finish(const Call& call) {
    const auto [id, seed] = call;
    auto reply = client_->wait(id, std::chrono::milliseconds(20000));
    const auto expected = pattern(64 + seed % 512, seed);
    if (reply.ok() && std::equal(reply.bytes().begin(), reply.bytes().end(), expected.begin(), expected.end())) return "";
    return reply.ok() ? "a reply with other bytes" : std::string(status_text(reply.status()));
  }

 private:
  std::unique_ptr<Client> client_;
  uint64_t seed_ = 0;
};

// A client thread calling echo with `depth` calls in flight, checking every reply's bytes.
class LoadClient : public CallLoad<RawEchoCaller> {
 public:
  explicit LoadClient(const fs::path& socket, int depth = 16) : CallLoad(depth, socket) {}
};

}  // namespace fixnet::rpc::testing
