// TCP sockets for transports between machines: "HOST:PORT" addresses, a non-blocking listener, a
// non-blocking connect. Every socket returned is non-blocking, close-on-exec and has TCP_NODELAY
// (RPC frames are small and latency-bound; batching is the sender's job, not Nagle's).
#pragma once

#include <netinet/in.h>

#include <optional>
#include <string>
#include <string_view>

#include "net/unique_fd.h"

namespace fixnet::net {

struct TcpAddress {
  sockaddr_in ip{};  // IPv4
  std::string text;  // as given, for messages
  uint16_t port() const { return ntohs(ip.sin_port); }
};

// "HOST:PORT", HOST a dotted IPv4 address or a name resolved now. Throws InputError.
TcpAddress parse_tcp_address(std::string_view text);

// Listens on `address` (port 0: any free port; see bound_port). Throws EnvironmentError.
UniqueFd tcp_listen(const TcpAddress& address, int backlog = 128);
uint16_t bound_port(int socket);
// A connection accepted from `listener`, or an empty fd when none is pending.
UniqueFd tcp_accept(int listener);
// Starts connecting; the socket becomes writable when done — then ask connect_result().
UniqueFd tcp_connect_start(const TcpAddress& address);
// 0 once connected, else the errno of the failed connect.
int connect_result(int socket);

}  // namespace fixnet::net
