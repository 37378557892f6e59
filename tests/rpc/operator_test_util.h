// Helpers for the operator-control tests: `fixnet rpc ctl` against a ServiceProcess, the chain of
// an application as `list` reports it, and a client that keeps calls in flight until stopped.
#pragma once

#include <atomic>
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

// A client thread calling echo with `depth` calls in flight, checking every reply's bytes, until
// stop(); counts what it sent, what came back right, and anything else.
class LoadClient {
 public:
  LoadClient(const fs::path& socket, int depth = 16) : client_(Client::connect(socket)) {
    thread_ = std::thread([this, depth] { run(depth); });
  }
  ~LoadClient() { stop(); }
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
    std::vector<std::pair<uint64_t, uint64_t>> calls;  // call id, seed
    uint64_t seed = 0;
    try {
      while (!stopping_ || !calls.empty()) {
        while (!stopping_ && calls.size() < static_cast<size_t>(depth)) {
          const auto bytes = pattern(64 + seed % 512, seed);
          auto m = client_->allocate(bytes.size());
          std::memcpy(m.bytes.data(), bytes.data(), bytes.size());
          calls.emplace_back(client_->send(1, m, bytes.size()), seed++);
          ++sent_;
        }
        auto [id, s] = calls.front();
        calls.erase(calls.begin());
        auto reply = client_->wait(id, std::chrono::milliseconds(20000));
        const auto expected = pattern(64 + s % 512, s);
        if (reply.ok() && std::equal(reply.bytes().begin(), reply.bytes().end(), expected.begin(), expected.end())) {
          ++good_;
        } else {
          if (bad_++ == 0) first_error_ = std::string(status_text(reply.status()));
        }
      }
    } catch (const std::exception& e) {
      ++bad_;
      first_error_ = e.what();
    }
  }

  std::unique_ptr<Client> client_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> sent_{0}, good_{0}, bad_{0};
  std::string first_error_;
  std::thread thread_;
};

}  // namespace fixnet::rpc::testing
