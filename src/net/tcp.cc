#include "net/tcp.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>

#include "core/error.h"
#include "net/system_error.h"

namespace fixnet::net {

namespace {

void set_nodelay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // a failure only costs latency
}

}  // namespace

TcpAddress parse_tcp_address(std::string_view text) {
  TcpAddress a;
  a.text = std::string(text);
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    throw InputError("TCP address '" + one_line(text) + "' is not HOST:PORT");
  const std::string host(text.substr(0, colon));
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
    throw InputError("TCP address '" + one_line(text) + "' has no valid port (0-65535)");
  a.ip.sin_family = AF_INET;
  a.ip.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &a.ip.sin_addr) == 1) return a;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr)
    throw InputError("TCP address '" + one_line(text) + "': cannot resolve host '" + one_line(host) + "'");
  a.ip.sin_addr = reinterpret_cast<const sockaddr_in*>(found->ai_addr)->sin_addr;
  ::freeaddrinfo(found);
  return a;
}

UniqueFd tcp_listen(const TcpAddress& address, int backlog) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw_system_error("socket", address.text);
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.ip), sizeof address.ip) != 0)
    throw_system_error("bind", address.text);
  if (::listen(fd.get(), backlog) != 0) throw_system_error("listen", address.text);
  return fd;
}

uint16_t bound_port(int socket) {
  sockaddr_in ip{};
  socklen_t size = sizeof ip;
  if (::getsockname(socket, reinterpret_cast<sockaddr*>(&ip), &size) != 0) throw_system_error("getsockname", "a socket");
  return ntohs(ip.sin_port);
}

UniqueFd tcp_accept(int listener) {
  UniqueFd fd(::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (fd) set_nodelay(fd.get());
  return fd;
}

UniqueFd tcp_connect_start(const TcpAddress& address) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw_system_error("socket", address.text);
  set_nodelay(fd.get());
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address.ip), sizeof address.ip) != 0 &&
      errno != EINPROGRESS)
    throw_system_error("connect", address.text);
  return fd;
}

int connect_result(int socket) {
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &size) != 0) return errno;
  return error;
}

}  // namespace fixnet::net
