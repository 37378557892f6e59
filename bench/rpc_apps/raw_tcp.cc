// The raw TCP row: our own minimal ping-pong over blocking loopback sockets with TCP_NODELAY, the
// floor any RPC over TCP stands on. A request is a 4-byte little-endian length and that many bytes;
// the reply is kReplyBytes bytes. No framing checks beyond that: both ends are ours.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/rpc_apps/bench_app.h"
#include "net/tcp.h"

namespace fixnet::bench::rpc_app {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

void no_delay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void write_all(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("raw tcp send");
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// Reads at least `size` bytes into buffer[have…]; returns the new fill, 0 at end of stream.
size_t read_at_least(int fd, std::vector<uint8_t>& buffer, size_t have, size_t size) {
  if (buffer.size() < size) buffer.resize(size);
  while (have < size) {
    const ssize_t n = ::recv(fd, buffer.data() + have, buffer.size() - have, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("raw tcp recv");
    if (n == 0) return 0;
    have += static_cast<size_t>(n);
  }
  return have;
}

// One connection: parses every request in what arrived and answers them with one write.
void serve_connection(int fd) {
  std::vector<uint8_t> buffer(1 << 16);
  std::vector<uint8_t> replies;
  size_t have = 0;
  for (;;) {
    size_t at = 0;
    replies.clear();
    for (;;) {
      uint32_t length;
      if (have - at < 4) break;
      std::memcpy(&length, buffer.data() + at, 4);
      if (have - at < 4 + length) break;
      at += 4 + length;
      replies.insert(replies.end(), kReplyBytes, 0x5a);
    }
    if (!replies.empty()) write_all(fd, replies.data(), replies.size());
    std::memmove(buffer.data(), buffer.data() + at, have - at);
    have -= at;
    // The next request's size decides how much must arrive; at least its length field.
    size_t need = 4;
    if (have >= 4) {
      uint32_t length;
      std::memcpy(&length, buffer.data(), 4);
      need = 4 + length;
    }
    const size_t got = read_at_least(fd, buffer, have, std::max(need, have + 1));
    if (got == 0) break;
    have = got;
  }
  ::close(fd);
}

class RawTcpCaller : public Caller {
 public:
  explicit RawTcpCaller(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) fail("raw tcp socket");
    const sockaddr_in address = net::parse_tcp_address("127.0.0.1:" + std::to_string(port)).ip;
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) fail("raw tcp connect");
    no_delay(fd_);
  }
  ~RawTcpCaller() override { ::close(fd_); }

  void call(size_t size) override {
    send_requests(size, 1);
    receive_replies(1);
  }

  uint64_t pipelined(size_t size, size_t outstanding, double seconds) override {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    send_requests(size, outstanding);
    uint64_t done = 0;
    while (std::chrono::steady_clock::now() < end) {
      const size_t n = receive_replies(1);  // whatever has arrived, at least one
      done += n;
      send_requests(size, n);
    }
    for (size_t left = outstanding; left > 0;) left -= receive_replies(1, left);
    return done;
  }

 private:
  void send_requests(size_t size, size_t count) {
    request_.resize(count * (4 + size));
    for (size_t i = 0; i < count; ++i) {
      const uint32_t length = static_cast<uint32_t>(size);
      std::memcpy(request_.data() + i * (4 + size), &length, 4);
    }
    write_all(fd_, request_.data(), request_.size());
  }
  // Waits for at least `min` replies and takes at most `max` (default: all that arrived).
  size_t receive_replies(size_t min, size_t max = SIZE_MAX) {
    size_t have = pending_;
    while (have < min * kReplyBytes) {
      if (replies_.size() < have + 4096) replies_.resize(have + 4096);
      const ssize_t n = ::recv(fd_, replies_.data() + have, replies_.size() - have, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("raw tcp recv (server gone?)");
      have += static_cast<size_t>(n);
    }
    const size_t taken = std::min(have / kReplyBytes, max);
    pending_ = have - taken * kReplyBytes;
    std::memmove(replies_.data(), replies_.data() + taken * kReplyBytes, pending_);
    return taken;
  }

  int fd_;
  std::vector<uint8_t> request_, replies_;
  size_t pending_ = 0;
};

}  // namespace

int serve_raw_tcp() {
  const net::UniqueFd listener = net::tcp_listen(net::parse_tcp_address("127.0.0.1:0"));
  ::fcntl(listener.get(), F_SETFL, 0);  // blocking accepts: this server waits in the kernel, no event loop
  std::cout << "port " << net::bound_port(listener.get()) << std::endl;
  for (;;) {
    const int fd = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    no_delay(fd);
    std::thread(serve_connection, fd).detach();
  }
}

std::unique_ptr<Caller> raw_tcp_caller(uint16_t port) { return std::make_unique<RawTcpCaller>(port); }

}  // namespace fixnet::bench::rpc_app
