#include "rpc/tcp_transport_dispatch.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "core/error.h"
#include "net/log.h"
#include "net/system_error.h"
#include "net/tcp.h"
#include "rpc/service_name.h"

namespace fixnet::rpc {

namespace {

using net::LogLevel;

constexpr size_t kAcceptBudget = 64;  // connections accepted per wake-up of the control thread
constexpr auto kSweepInterval = std::chrono::milliseconds(200);

}  // namespace

std::shared_ptr<PeerDispatch> PeerDispatch::start(net::EventLoop& loop, net::UniqueFd listener) {
  return std::shared_ptr<PeerDispatch>(new PeerDispatch(loop, std::move(listener)));
}

PeerDispatch::PeerDispatch(net::EventLoop& loop, net::UniqueFd listener)
    : loop_(loop), listener_(std::move(listener)) {
  loop_.add(listener_.get(), EPOLLIN, [this](uint32_t) { accept_all(); });
}

PeerDispatch::~PeerDispatch() {
  loop_.remove(listener_.get());
  for (const auto& [fd, p] : pending_) loop_.remove(fd);
  if (sweep_timer_ != 0) loop_.cancel_timer(sweep_timer_);
}

uint16_t PeerDispatch::port() const { return net::bound_port(listener_.get()); }

void PeerDispatch::bind(const std::string& service, const SchemaHash& schema, PeerInbox* inbox) {
  bindings_.push_back({service, schema, inbox});
}

void PeerDispatch::unbind(PeerInbox* inbox) {
  std::erase_if(bindings_, [&](const Binding& b) { return b.inbox == inbox; });
}

void PeerDispatch::accept_all() {
  for (size_t i = 0; i < kAcceptBudget; ++i) {
    net::UniqueFd socket = net::tcp_accept(listener_.get());
    if (!socket) return;
    if (pending_.size() >= kMaxPendingPeers) {
      net::log(LogLevel::kWarning, "rpc", "peer connection closed: {} connections already wait for their Hello",
               kMaxPendingPeers);
      continue;
    }
    const int fd = socket.get();
    pending_.emplace(fd, Pending{std::move(socket), {}, 0, std::nullopt, {}, false,
                                 std::chrono::steady_clock::now() + kHelloTimeout});
    loop_.add(fd, EPOLLIN | EPOLLRDHUP, [this, fd](uint32_t) { on_readable(fd); });
    if (sweep_timer_ == 0) sweep_timer_ = loop_.add_timer(kSweepInterval, [this] { sweep(); });
  }
}

void PeerDispatch::on_readable(int fd) {
  auto it = pending_.find(fd);
  if (it == pending_.end()) return;
  try {
    if (read_hello(it->second)) dispatch(fd);
  } catch (const FrameError& e) {
    net::log(LogLevel::kInfo, "rpc", "peer connection refused before its Hello was complete: {}", e.what());
    refuse(fd, e.call_id, e.status, e.what());
  } catch (const Error& e) {
    net::log(LogLevel::kInfo, "rpc", "peer connection closed before its Hello: {}", e.what());
    drop(fd);
  }
}

// Reads exactly the Hello (header, then its payload), never a byte past it: what follows is the
// engine's to read.
bool PeerDispatch::read_hello(Pending& p) {
  for (;;) {
    std::span<uint8_t> into;
    if (!p.hello) {
      into = std::span(p.header).subspan(p.header_bytes);
    } else {
      const size_t have = p.service.size();
      p.service.resize(p.hello->payload_length);
      into = std::span(reinterpret_cast<uint8_t*>(p.service.data()), p.service.size()).subspan(have);
      p.service.resize(have);
    }
    if (into.empty()) return true;  // a Hello without a service name
    const ssize_t n = ::recv(p.socket.get(), into.data(), into.size(), MSG_DONTWAIT);
    if (n == 0) throw EnvironmentError("the peer closed the connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
      net::throw_system_error("recv", "a peer connection");
    }
    if (!p.hello) {
      p.header_bytes += static_cast<size_t>(n);
      if (p.header_bytes < kFrameHeaderBytes) continue;
      // Any kind's length is checked against its cap here; only a Hello is welcome.
      p.hello = decode_frame_header(p.header, kMaxServiceName);
      if (p.hello->kind != FrameKind::kHello) throw FrameError("expected a Hello frame first", 0, Status::kPeerRefused);
    } else {
      p.service.append(reinterpret_cast<const char*>(into.data()), static_cast<size_t>(n));
    }
    if (p.service.size() == p.hello->payload_length) return true;
  }
}

void PeerDispatch::dispatch(int fd) {
  Pending& p = pending_.at(fd);
  try {
    check_service_name(p.service, "the peer's Hello");
  } catch (const InputError& e) {
    net::log(LogLevel::kInfo, "rpc", "peer connection refused: {}", e.what());
    return refuse(fd, 0, Status::kPeerRefused, e.what());
  }
  p.complete = true;
  p.deadline = std::chrono::steady_clock::now() + kUnservedGrace;
  loop_.remove(fd);  // nothing more is read here: what follows the Hello is the engine's
  hand_over(fd);     // or it waits for a server (retry_waiting, sweep)
}

bool PeerDispatch::hand_over(int fd) {
  Pending& p = pending_.at(fd);
  PeerInbox* inbox = choose(p.service, p.hello->schema_hash);
  if (inbox == nullptr) return false;
  inbox->push(HandedPeer{std::move(p.socket), *p.hello});
  pending_.erase(fd);
  if (pending_.empty() && sweep_timer_ != 0) loop_.cancel_timer(std::exchange(sweep_timer_, 0));
  return true;
}

void PeerDispatch::retry_waiting() {
  std::vector<int> waiting;
  for (const auto& [fd, p] : pending_)
    if (p.complete) waiting.push_back(fd);
  for (int fd : waiting) hand_over(fd);
}

PeerInbox* PeerDispatch::choose(const std::string& service, const SchemaHash& schema) {
  std::vector<const Binding*> named, unnamed, all;
  for (const Binding& b : bindings_) {
    all.push_back(&b);
    if (b.service.empty()) unnamed.push_back(&b);
    else if (b.service == service) named.push_back(&b);
  }
  // A named service goes to its servers, else to those serving anything; a peer that names none
  // (an old peer) to any serving application, as before services had names.
  std::vector<const Binding*>& tier = service.empty() ? all : !named.empty() ? named : unnamed;
  if (tier.empty()) return nullptr;
  std::vector<const Binding*> same_schema;
  for (const Binding* b : tier)
    if (b->schema == schema) same_schema.push_back(b);
  // Among those with the peer's schema when there are any; otherwise the engine refuses the peer
  // for its schema, saying which hashes differ.
  const auto& choice = same_schema.empty() ? tier : same_schema;
  return choice[turns_[service]++ % choice.size()]->inbox;
}

void PeerDispatch::refuse(int fd, uint64_t call_id, Status status, const std::string& why) {
  FrameHeader h;
  h.kind = FrameKind::kError;
  h.status = status;
  h.call_id = call_id;
  const std::string text = why.substr(0, kMaxErrorText);
  h.payload_length = text.size();
  const FrameHeaderBytes header = encode_frame_header(h);
  std::string frame(header.begin(), header.end());
  frame += text;
  // A new connection's send buffer is empty: the frame fits. If the peer is gone, nothing to tell.
  [[maybe_unused]] auto n = ::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  drop(fd);
}

void PeerDispatch::drop(int fd) {
  loop_.remove(fd);
  pending_.erase(fd);  // closes the socket
  if (pending_.empty() && sweep_timer_ != 0) loop_.cancel_timer(std::exchange(sweep_timer_, 0));
}

void PeerDispatch::sweep() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<int> late;
  for (const auto& [fd, p] : pending_)
    if (p.deadline <= now) late.push_back(fd);
  for (int fd : late) {
    Pending& p = pending_.at(fd);
    if (!p.complete) {
      net::log(LogLevel::kInfo, "rpc", "peer connection closed: no Hello within {} s", kHelloTimeout.count());
      drop(fd);
    } else if (!hand_over(fd)) {
      const std::string service = p.service.empty() ? std::string("(any service)") : p.service;
      const std::string text = "no application serves " + service +
                               " at this service: bind one to the fixnetd listening here, or route " +
                               (p.service.empty() ? std::string("its calls") : p.service) + " elsewhere";
      net::log(LogLevel::kWarning, "rpc", "peer connection refused: {}", text);
      refuse(fd, 0, Status::kPeerRefused, text);
    }
  }
}

}  // namespace fixnet::rpc
