#include "net/unix_control.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.h"
#include "net/system_error.h"

namespace fixnet::net {

namespace {

sockaddr_un address_of(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.empty() || text.size() >= sizeof addr.sun_path)
    throw InputError("socket path '" + one_line(text) + "' is empty or longer than " +
                     std::to_string(sizeof addr.sun_path - 1) + " bytes");
  std::memcpy(addr.sun_path, text.c_str(), text.size() + 1);
  return addr;
}

UniqueFd seqpacket_socket(int flags) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | flags, 0));
  if (!fd) throw_system_error("socket", "a control channel");
  return fd;
}

}  // namespace

UnixControl UnixControl::connect(const std::filesystem::path& path) {
  const sockaddr_un addr = address_of(path);
  UniqueFd fd = seqpacket_socket(0);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    throw_system_error("connect", path.string());
  return UnixControl(std::move(fd));
}

PeerCredentials UnixControl::peer() const {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(socket_.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    throw_system_error("getsockopt(SO_PEERCRED)", "a control channel");
  return {cred.pid, cred.uid, cred.gid};
}

void UnixControl::send(std::span<const uint8_t> bytes, std::span<const int> fds) {
  iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control;
  if (!fds.empty()) {
    control.resize(CMSG_SPACE(fds.size_bytes()));
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(fds.size_bytes());
    std::memcpy(CMSG_DATA(cmsg), fds.data(), fds.size_bytes());
  }
  ssize_t n;
  do {
    n = ::sendmsg(socket_.get(), &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_system_error("sendmsg", "a control channel");
}

std::optional<ControlMessage> UnixControl::receive(size_t max_bytes, size_t max_fds) {
  // The buffer is as long as the packet waiting (a peek with MSG_TRUNC says how long it is), not
  // max_bytes: a buffer of the limit is zeroed — and on its first use faulted in — for every packet,
  // which for an operator's 4 MiB reply limit cost 20–27 ms of a core per request on our 2-core VM,
  // a core the RPC datapath needed (docs/performance.md, "rpc-upgrade"). One byte more than the
  // packet (at most one more than allowed), so an over-long message still shows as MSG_TRUNC or as a
  // full buffer. A failed peek (a closed or reset socket) leaves the error to recvmsg below.
  ControlMessage out;
  ssize_t waiting;
  do {
    waiting = ::recv(socket_.get(), nullptr, 0, MSG_PEEK | MSG_TRUNC);
  } while (waiting < 0 && errno == EINTR);
  out.bytes.resize(std::min(waiting < 0 ? size_t{0} : static_cast<size_t>(waiting), max_bytes) + 1);
  iovec iov{out.bytes.data(), out.bytes.size()};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * (max_fds + 1)));
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  ssize_t n;
  do {
    n = ::recvmsg(socket_.get(), &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == ECONNRESET) return std::nullopt;
    throw_system_error("recvmsg", "a control channel");
  }
  // Take ownership of every descriptor first, so an early return below closes them.
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      out.fds.emplace_back(fd);
    }
  }
  if (n == 0 && out.fds.empty()) return std::nullopt;  // orderly close
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || static_cast<size_t>(n) > max_bytes ||
      out.fds.size() > max_fds)
    throw InputError("control message from peer is longer than " + std::to_string(max_bytes) +
                     " bytes or carries more than " + std::to_string(max_fds) + " descriptors");
  out.bytes.resize(static_cast<size_t>(n));
  return out;
}

UnixListener UnixListener::bind(const std::filesystem::path& path, int backlog) {
  const sockaddr_un addr = address_of(path);
  UniqueFd fd = seqpacket_socket(SOCK_NONBLOCK);
  // A socket file left by a process that died is stale; anything else at the path is not ours.
  std::error_code ec;
  if (std::filesystem::is_socket(path, ec)) std::filesystem::remove(path, ec);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    throw_system_error("bind", path.string());
  if (::listen(fd.get(), backlog) != 0) throw_system_error("listen", path.string());
  return UnixListener(std::move(fd), path);
}

UnixListener::~UnixListener() {
  if (!socket_) return;
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

std::optional<UnixControl> UnixListener::accept() {
  UniqueFd fd(::accept4(socket_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (fd) return UnixControl(std::move(fd));
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED || errno == EINTR) return std::nullopt;
  throw_system_error("accept", path_.string());
}

}  // namespace fixnet::net
