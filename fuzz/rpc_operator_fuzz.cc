// Fuzzes the operator control protocol (docs/rpc.md, "Operator control"): one JSON request per
// packet on the service's operator socket, one JSON reply. The first byte picks the side:
//   even: the rest is a request packet to a real rpc::Service (running on its own thread, in this
//         process, with an application connected); contract: every packet gets a reply that is a
//         JSON object with a boolean "ok" (and a string "error" when false) — for a request naming an
//         operation, a reply of the shape `fixnet rpc ctl` checks (check_operator_reply) — and the
//         service lives on;
//   odd:  the rest is the reply a service sends to `fixnet rpc ctl` (operator_request, for `list` or,
//         when bit 1 of the first byte is set, `attach`); contract: it returns a reply that
//         check_operator_reply accepts or throws fixnet::Error.
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "contained_config.h"
#include "core/error.h"
#include "net/log.h"
#include "net/unix_control.h"
#include "rpc/client.h"
#include "rpc/operator_client.h"
#include "rpc/operator_reply.h"
#include "rpc/service.h"

namespace {

using namespace fixnet;
namespace fs = std::filesystem;

fs::path scratch() {
  static const fs::path dir = [] {
    std::string pattern = (fs::temp_directory_path() / "fixnet-operator-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    return fs::path(pattern);
  }();
  return dir;
}

// A service with one raw-bytes application, as fixnetd runs it; lives for the whole run.
struct RunningService {
  RunningService() {
    net::set_log_level(net::LogLevel::kError);
    rpc::ServiceConfig config;
    config.socket = scratch() / "rpc.sock";
    config.schema_cache = scratch() / "schemas";
    config.runtime.spin = std::chrono::nanoseconds(0);  // a spinning runtime would take the fuzzer's core
    service = std::make_unique<rpc::Service>(config);
    thread = std::thread([this] { service->run(); });
    application = rpc::Client::connect(config.socket);
  }
  std::unique_ptr<rpc::Service> service;
  std::thread thread;
  std::unique_ptr<rpc::Client> application;
};

void to_service(std::span<const uint8_t> packet) {
  [[maybe_unused]] static RunningService* running = new RunningService();  // runs until the process exits
  static std::optional<net::UnixControl> control;
  if (!control) control = net::UnixControl::connect(scratch() / "rpc.sock.ctl");
  // A request may name files: a trace file (config) goes into the scratch directory, and a plugin
  // path (engine, plugin) is not loaded — dlopen of whatever the input names would run its code.
  auto sent = nlohmann::json::parse(packet.begin(), packet.end(), nullptr, false);
  std::string rewritten;
  if (sent.is_object()) {
    if (sent.contains("config") && sent["config"].is_string()) sent["config"] = fuzz::contained(sent["config"]);
    for (const char* key : {"engine", "plugin"})
      if (sent.contains(key) && sent[key].is_string() && sent[key].get<std::string>().find('/') != std::string::npos)
        sent[key] = "not-a-plugin";
    rewritten = sent.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    packet = {reinterpret_cast<const uint8_t*>(rewritten.data()), rewritten.size()};
  }
  control->send(packet);
  auto reply = control->receive(4 << 20, 0);
  if (!reply) {
    // A packet of no bytes reads as a hang-up: the service closes the connection.
    if (!packet.empty()) std::abort();
    control.reset();
    return;
  }
  const auto json = nlohmann::json::parse(reply->bytes.begin(), reply->bytes.end());  // throws: not JSON
  if (!json.is_object() || !json.contains("ok") || !json["ok"].is_boolean()) std::abort();
  if (json["ok"] == false && (!json.contains("error") || !json["error"].is_string())) std::abort();
  // What the service answers is what its own client accepts.
  const auto request = nlohmann::json::parse(packet.begin(), packet.end(), nullptr, false);
  if (request.is_object() && request.contains("op") && request["op"].is_string()) {
    const std::string op = request["op"];
    if (op == "list" || op == "attach" || op == "detach" || op == "config" || op == "upgrade") {
      try {
        rpc::check_operator_reply(json, op);
      } catch (const Error&) {
        std::abort();
      }
    }
  }
}

// A stand-in service answering each operator connection's request with the current input.
struct FakeService {
  FakeService() : listener(net::UnixListener::bind(scratch() / "fake.ctl")) {
    thread = std::thread([this] {
      for (;;) {
        pollfd p{listener.fd(), POLLIN, 0};
        ::poll(&p, 1, -1);
        auto control = listener.accept();
        if (!control) continue;
        try {
          if (!control->receive(1 << 16, 0)) continue;
          std::lock_guard lock(mutex);
          control->send(reply);
        } catch (const Error&) {
        }
      }
    });
    thread.detach();
  }
  net::UnixListener listener;
  std::thread thread;
  std::mutex mutex;
  std::vector<uint8_t> reply;
};

void to_client(std::span<const uint8_t> reply, bool attach) {
  static FakeService& fake = *new FakeService();
  {
    std::lock_guard lock(fake.mutex);
    fake.reply.assign(reply.begin(), reply.end());
  }
  try {
    const nlohmann::json request = attach ? nlohmann::json{{"op", "attach"}, {"engine", "null"}, {"all", true}}
                                          : nlohmann::json{{"op", "list"}};
    rpc::operator_request(fake.listener.path(), request);
  } catch (const Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::span<const uint8_t> rest(data + 1, size - 1);
  if (data[0] % 2 == 0) to_service(rest);
  else to_client(rest, (data[0] & 2) != 0);
  return 0;
}
