#include "rpc/call_routes.h"

#include <vector>

#include "core/error.h"
#include "net/tcp.h"
#include "rpc/service_name.h"

namespace fixnet::rpc {

ServiceRoute parse_route(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
    throw InputError("route '" + std::string(text) + "' is not SERVICE=HOST:PORT (e.g. hotel.Geo=10.0.0.2:7000)");
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

CallRoutes::CallRoutes(const std::vector<ServiceRoute>& routes, std::string default_peer)
    : default_peer_(std::move(default_peer)) {
  for (const ServiceRoute& r : routes) {
    const std::string what = "route " + r.service + "=" + r.address;
    if (r.service.empty()) throw InputError(what + ": names no service (SERVICE=HOST:PORT)");
    check_service_name(r.service, what);
    net::parse_tcp_address(r.address);  // a bad address is refused at start, not at the first call
    if (!routes_.emplace(r.service, r.address).second)
      throw InputError(what + ": " + r.service + " is routed twice (to " + routes_.at(r.service) + " too); give one");
  }
  if (!default_peer_.empty()) net::parse_tcp_address(default_peer_);
}

std::optional<std::string> CallRoutes::tcp_client_config(const std::string& service) const {
  auto it = routes_.find(service);
  const std::string& address = it != routes_.end() ? it->second : default_peer_;
  if (address.empty()) return std::nullopt;
  return service.empty() ? address : address + " " + service;
}

std::string CallRoutes::no_route(const std::string& service) const {
  if (service.empty())
    return "this application names no service and fixnetd routes only named ones: name it when connecting "
           "(generated stubs do) or start fixnetd with --peer HOST:PORT";
  return "no route for service " + service + ": start fixnetd with --route " + service +
         "=HOST:PORT (or --peer HOST:PORT for every service without a route)";
}

std::string CallRoutes::describe() const {
  std::string out;
  for (const auto& [service, address] : routes_) out += (out.empty() ? "" : ", ") + service + "=" + address;
  return out;
}

}  // namespace fixnet::rpc
