// Service::Connection: one application as the service's control thread knows it — shared by the
// admission code (service.cc) and the operator's (service_control.cc). Control thread only.
#pragma once

#include <memory>
#include <string>

#include "net/unix_control.h"
#include "rpc/datapath.h"
#include "rpc/service.h"

namespace fixnet::rpc {

struct Service::Connection {
  uint64_t id;
  net::UnixControl control;
  net::PeerCredentials peer;
  std::shared_ptr<Datapath> datapath;  // null until the handshake completes
  bool serving = false;
  std::shared_ptr<const Schema> schema = nullptr;  // null for raw bytes
  std::string service = {};  // the proto service it calls or serves (Hello); empty: none named
  bool compiling = false;  // its Hello was fine; it waits for its schema's marshaller to compile
};

}  // namespace fixnet::rpc
