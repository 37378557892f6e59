// PeerDispatch: the one TCP listener of a service (fixnetd --listen) and the choice of which serving
// application gets each peer connection (docs/rpc.md, "Routing by service"). It accepts on the
// service's control thread (its EventLoop), reads the peer's Hello frame — whose payload names the
// proto service the peer calls — and hands the socket, Hello read, to the datapath of a
// serving application bound for that service: round-robin among those, preferring the ones with
// the peer's schema hash. A peer whose service nobody here serves waits kUnservedGrace for a server
// to bind (processes start in any order), then gets an Error frame (status 7, peer refused) naming
// the service, and is closed. Requests never pass through here: once handed
// over, a connection is its engine's alone.
//
// Which applications serve what:
//   - an application bound with a service name serves the peers that name it;
//   - an application bound without one (raw rpc::Server, or a schema without a name) serves peers
//     whose service nobody serves by name, and peers that name none (old peers: as before routing);
//   - a peer that names no service may reach any serving application.
//
// Threads: everything on the control thread. A peer goes into the inbox of a serving application's
// datapath (handed_peer.h), bound when the application attaches and unbound before its datapath is
// destroyed, so none reaches a departed application; its tcp-server engine (and any successor an
// upgrade puts in its place) takes peers from there.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/event_loop.h"
#include "net/unique_fd.h"
#include "rpc/handed_peer.h"
#include "rpc/tcp_transport_frame.h"

namespace fixnet::rpc {

// A connection that has not finished its Hello within this is closed.
inline constexpr std::chrono::seconds kHelloTimeout{10};
// Connections waiting for their Hello (or a server) at once; more are closed as they arrive.
inline constexpr size_t kMaxPendingPeers = 256;
// How long a peer whose service nobody serves waits for a serving application to bind.
inline constexpr std::chrono::milliseconds kUnservedGrace{1000};

class PeerDispatch {
 public:
  // Runs on `loop` (which must outlive it) with `listener` (tcp_listen's). 
  static std::shared_ptr<PeerDispatch> start(net::EventLoop& loop, net::UniqueFd listener);
  ~PeerDispatch();
  PeerDispatch(const PeerDispatch&) = delete;
  PeerDispatch& operator=(const PeerDispatch&) = delete;

  uint16_t port() const;

  // A serving application takes the peers that call `service` ("": see above) in `inbox` (its
  // datapath's, which its tcp-server engine reads). Control thread.
  void bind(const std::string& service, const SchemaHash& schema, PeerInbox* inbox);
  void unbind(PeerInbox* inbox);  // after it returns nothing more is pushed to inbox
  // A serving application bound: peers waiting for a server of its service go to it now. Control thread.
  void retry_waiting();

 private:
  struct Pending {
    net::UniqueFd socket;
    FrameHeaderBytes header{};
    size_t header_bytes = 0;
    std::optional<FrameHeader> hello;  // decoded, its payload (the service name) still arriving
    std::string service;
    bool complete = false;  // the Hello was read; it waits for a server of its service
    std::chrono::steady_clock::time_point deadline;  // for its Hello, then for a server
  };
  struct Binding {
    std::string service;
    SchemaHash schema;
    PeerInbox* inbox;
  };

  PeerDispatch(net::EventLoop& loop, net::UniqueFd listener);
  void accept_all();
  void on_readable(int fd);
  // Reads what the kernel has of the Hello; true when it is complete. Throws FrameError / Error.
  bool read_hello(Pending& p);
  // A peer's Hello is complete: checks its service name and hands it over, or lets it wait for a server.
  void dispatch(int fd);
  // Hands a complete peer to an application serving its service; false when none does.
  bool hand_over(int fd);
  // The inbox for a peer of `service` with `schema`; null when nobody serves it.
  PeerInbox* choose(const std::string& service, const SchemaHash& schema);
  // Tells the peer why (one Error frame, best effort) and closes it.
  void refuse(int fd, uint64_t call_id, Status status, const std::string& why);
  void drop(int fd);
  void sweep();  // refuses peers past their deadline, or closes those whose Hello never came

  net::EventLoop& loop_;
  net::UniqueFd listener_;
  std::map<int, Pending> pending_;  // by fd; control thread only
  uint64_t sweep_timer_ = 0;        // running while pending_ is not empty
  std::vector<Binding> bindings_;
  std::map<std::string, uint64_t> turns_;  // round-robin counters by service
};

}  // namespace fixnet::rpc
