// A raw TCP peer of a fixnet RPC service, speaking the framing by hand (docs/rpc.md, "TCP transport"):
// what the tests use to play a misbehaving or foreign peer service.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include "net/unique_fd.h"
#include "rpc/tcp_transport_frame.h"

namespace fixnet::rpc::testing {

// A raw TCP peer, blocking, with a receive timeout so a missing answer fails instead of hanging.
class RawPeer {
 public:
  // The accepted side of a connection a service made to us (RawListener).
  explicit RawPeer(net::UniqueFd accepted) : fd_(std::move(accepted)) {
    timeval timeout{5, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  explicit RawPeer(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in ip{};
    ip.sin_family = AF_INET;
    ip.sin_port = htons(port);
    ip.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{5, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&ip), sizeof ip) != 0) throw std::runtime_error("connect");
  }
  void send(std::span<const uint8_t> bytes) { ASSERT_EQ(::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL), ssize_t(bytes.size())); }
  void send(const FrameHeader& h, std::span<const uint8_t> payload = {}) {
    send(encode_frame_header(h));
    if (!payload.empty()) send(payload);
  }
  void hello(const SchemaHash& schema = {}) {
    FrameHeader h;
    h.kind = FrameKind::kHello;
    h.schema_hash = schema;
    send(h);
  }
  // The next frame and its payload, or nullopt when the service closed the connection.
  std::optional<std::pair<FrameHeader, std::string>> receive() {
    FrameHeaderBytes header;
    if (!read_exactly(header)) return std::nullopt;
    const FrameHeader h = decode_frame_header(header, 1 << 24);
    std::string payload(h.payload_length, '\0');
    if (!read_exactly({reinterpret_cast<uint8_t*>(payload.data()), payload.size()})) return std::nullopt;
    return std::pair(h, payload);
  }
  // Reads frames until the service closes; the last Error frame before that.
  std::optional<std::pair<FrameHeader, std::string>> error_then_close() {
    std::optional<std::pair<FrameHeader, std::string>> error;
    while (auto frame = receive())
      if (frame->first.kind == FrameKind::kError) error = frame;
    return error;
  }

 private:
  bool read_exactly(std::span<uint8_t> into) {
    for (size_t got = 0; got < into.size();) {
      const ssize_t n = ::recv(fd_.get(), into.data() + got, into.size() - got, 0);
      if (n <= 0) return false;
      got += static_cast<size_t>(n);
    }
    return true;
  }
  net::UniqueFd fd_;
};

// A raw peer service's listening side, for a calling service (`fixnetd --peer`) to connect to. A
// small receive buffer (inherited by accepted sockets) lets a test stop reading and so hold the
// caller's frames half-written in its engine.
class RawListener {
 public:
  explicit RawListener(int receive_buffer_bytes = 0) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (receive_buffer_bytes > 0)
      ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof receive_buffer_bytes);
    sockaddr_in ip{};
    ip.sin_family = AF_INET;
    ip.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof ip;
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&ip), sizeof ip) != 0 || ::listen(fd_.get(), 4) != 0 ||
        ::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&ip), &length) != 0)
      throw std::runtime_error("listen");
    port_ = ntohs(ip.sin_port);
  }
  uint16_t port() const { return port_; }
  RawPeer accept() { return RawPeer(net::UniqueFd(::accept(fd_.get(), nullptr, nullptr))); }

 private:
  net::UniqueFd fd_;
  uint16_t port_ = 0;
};

}  // namespace fixnet::rpc::testing
