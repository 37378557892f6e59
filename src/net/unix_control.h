// UnixControl: one connected Unix-domain SOCK_SEQPACKET socket — the control channel between an
// application and a local service. Messages keep their boundaries; file descriptors travel beside
// them (SCM_RIGHTS); the kernel tells each side who the peer is (SO_PEERCRED).
//
// Peer data is untrusted: receive() refuses a message longer than the caller's limit or carrying
// more descriptors than it allows (closing every descriptor that arrived), so a peer cannot leak fds
// into us. All received descriptors are close-on-exec.
// UnixListener binds a path (replacing a stale socket file there) and unlinks it when destroyed.
// Both are move-only and blocking unless said otherwise; one thread per object.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>

#include "net/unique_fd.h"

namespace fixnet::net {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct ControlMessage {
  std::vector<uint8_t> bytes;
  std::vector<UniqueFd> fds;
};

class UnixControl {
 public:
  // Throws EnvironmentError when nothing listens at `path`.
  static UnixControl connect(const std::filesystem::path& path);
  explicit UnixControl(UniqueFd socket) : socket_(std::move(socket)) {}

  PeerCredentials peer() const;  // as of connect()
  // One message with `fds` attached. Throws EnvironmentError (e.g. the peer is gone).
  void send(std::span<const uint8_t> bytes, std::span<const int> fds = {});
  // The next message; nullopt when the peer closed. Throws InputError when it is longer than
  // `max_bytes` or brings more than `max_fds` descriptors, EnvironmentError on socket errors.
  std::optional<ControlMessage> receive(size_t max_bytes, size_t max_fds);

  int fd() const { return socket_.get(); }

 private:
  UniqueFd socket_;
};

class UnixListener {
 public:
  static UnixListener bind(const std::filesystem::path& path, int backlog = 64);
  ~UnixListener();
  UnixListener(UnixListener&& other) noexcept = default;
  UnixListener& operator=(UnixListener&&) = delete;

  // A pending connection, or nullopt when none is (the socket is non-blocking).
  std::optional<UnixControl> accept();
  int fd() const { return socket_.get(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  UnixListener(UniqueFd socket, std::filesystem::path path) : socket_(std::move(socket)), path_(std::move(path)) {}
  UniqueFd socket_;
  std::filesystem::path path_;
};

}  // namespace fixnet::net
