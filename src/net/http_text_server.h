// HttpTextServer: the smallest HTTP/1.x responder that serves a service's counters as text — a
// Prometheus scrape target (ARCHITECTURE.md §7: every service exposes text metrics over HTTP). It
// answers `GET /metrics` (and `GET /`) with the body its callback makes, other paths with 404, and
// closes each connection after one reply. It runs on the service's EventLoop; requests are read
// until the blank line, at most 8 KiB (a longer one gets 431 and is closed).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "net/event_loop.h"
#include "net/tcp.h"
#include "net/unique_fd.h"

namespace fixnet::net {

// What an HttpTextServer answers the bytes of a request read so far: nothing yet (kIncomplete: the
// head has not ended), its text (kServe), 404 (kNotFound) or 431 (kTooLarge: no end of the head within
// kMaxHttpRequestBytes). It depends on the bytes only, never on how the reads cut them.
enum class HttpAnswer { kIncomplete, kServe, kNotFound, kTooLarge };
inline constexpr size_t kMaxHttpRequestBytes = 8192;
HttpAnswer answer_http_request(std::string_view request);

class HttpTextServer {
 public:
  // Listens on `address` (port 0: any; see port()). Throws EnvironmentError.
  HttpTextServer(EventLoop& loop, const TcpAddress& address, std::function<std::string()> body);
  ~HttpTextServer();
  HttpTextServer(const HttpTextServer&) = delete;
  HttpTextServer& operator=(const HttpTextServer&) = delete;

  uint16_t port() const { return bound_port(listener_.get()); }

 private:
  void accept_all();
  void on_readable(int fd);
  void finish(int fd, const std::string& status, const std::string& body);

  EventLoop& loop_;
  UniqueFd listener_;
  std::function<std::string()> body_;
  std::map<int, std::pair<UniqueFd, std::string>> clients_;  // fd → socket, request so far
};

}  // namespace fixnet::net
