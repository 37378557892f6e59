// CallRoutes: where a calling application's requests go, by the proto service it calls (docs/rpc.md,
// "Routing by service"): fixnetd --route SERVICE=HOST:PORT (repeatable, or [[rpc.route]] in the
// TOML file) names the peer service of one service, --peer HOST:PORT the peer of every other one.
// A calling application whose service has neither is refused at connect, naming the fix.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fixnet::rpc {

struct ServiceRoute {
  std::string service;  // a proto full name (service_name.h), not empty
  std::string address;  // HOST:PORT of the peer service (fixnetd --listen there)
};

// "SERVICE=HOST:PORT"; throws InputError naming `text` and the expected form.
ServiceRoute parse_route(std::string_view text);

class CallRoutes {
 public:
  CallRoutes() = default;
  // Throws InputError for a bad service name or address, or one service routed twice.
  CallRoutes(const std::vector<ServiceRoute>& routes, std::string default_peer);

  bool has_routes() const { return !routes_.empty(); }
  // The tcp-client engine's config for an application calling `service` ("HOST:PORT SERVICE"), or
  // nullopt when it has no route and there is no default peer.
  std::optional<std::string> tcp_client_config(const std::string& service) const;
  // Why an application calling `service` cannot be routed, with the fix (one line, within a
  // Refusal's 200 bytes for service names up to about 60).
  std::string no_route(const std::string& service) const;
  // "SERVICE=HOST:PORT, …" for the log.
  std::string describe() const;

 private:
  std::map<std::string, std::string> routes_;
  std::string default_peer_;
};

}  // namespace fixnet::rpc
