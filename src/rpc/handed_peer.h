// HandedPeer: a peer connection on its way from the service's PeerDispatch (tcp_transport_dispatch.h)
// to the tcp-server engine of a serving application: its Hello frame was read, nothing after it.
// The inbox belongs to the serving application's datapath (DatapathContext::handed_peers), not to an
// engine, so peers handed over during an engine upgrade wait there for whichever engine runs next.
#pragma once

#include "net/mailbox.h"
#include "net/unique_fd.h"
#include "rpc/tcp_transport_frame.h"

namespace fixnet::rpc {

struct HandedPeer {
  net::UniqueFd socket;
  FrameHeader hello;
};
using PeerInbox = net::Mailbox<HandedPeer>;

}  // namespace fixnet::rpc
