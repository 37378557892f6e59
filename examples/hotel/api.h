// The hotel application's services as one C++ interface, free of any transport (README.md).
// A process serves some of these methods (its service) from a local implementation and calls the
// others through a remote implementation — fixnet RPC stubs (fixnet_transport.cc) or gRPC
// (grpc_transport.cc) — so the application logic is written once and the transports only convert.
// Every method may throw HotelError: bad input (a message for the caller) or a failed call.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace hotel {

using Ids = std::vector<std::string>;

struct RatePlan {
  std::string hotel_id, code, in_date, out_date;
  double bookable_rate = 0, total_rate = 0;
  std::string room_description;
};

struct HotelProfile {
  std::string id, name, phone, description, street, city;
  double lat = 0, lon = 0;
};

struct Booking {
  std::string customer_name;
  Ids hotel_ids;
  std::string in_date, out_date;  // YYYY-MM-DD, in_date before out_date
  int room_number = 1;
};

class HotelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A call the RPC system's policy refused (fixnet's acl engine: status 9; gRPC's PERMISSION_DENIED):
// the frontend answers 403 with the reason.
class DeniedError : public HotelError {
 public:
  using HotelError::HotelError;
};

class HotelApi {
 public:
  virtual ~HotelApi() = default;
  virtual Ids nearby(double lat, double lon) = 0;                                                  // Geo
  virtual std::vector<RatePlan> rates(const Ids& ids, const std::string& in, const std::string& out) = 0;  // Rate
  virtual std::vector<HotelProfile> profiles(const Ids& ids) = 0;                                  // Profile
  virtual Ids search(double lat, double lon, const std::string& in, const std::string& out) = 0;  // Search
  virtual Ids check_availability(const Booking& booking) = 0;                                      // Reservation
  virtual Ids make_reservation(const Booking& booking) = 0;                                        // Reservation
  virtual bool check_user(const std::string& username, const std::string& password) = 0;          // User
  virtual Ids recommend(const std::string& require, double lat, double lon) = 0;                  // Recommendation
};

// The services of hotel.proto, as the launcher and the command lines name them.
inline const std::vector<std::string>& service_names() {
  static const std::vector<std::string> names{"geo", "rate", "profile", "search", "reservation", "user", "recommendation"};
  return names;
}

// Server types of one transport, in service_names() order.
template <class... Servers>
struct ServerTypes {};

// Calls `run.template operator()<S>()` for the server type S of `service` (each transport's serve()).
template <class... Servers, class Run>
void run_server(ServerTypes<Servers...>, const std::string& service, Run&& run) {
  static_assert(sizeof...(Servers) == 7, "one server type per service of hotel.proto");
  size_t i = 0;
  bool found = false;
  ((!found && service_names()[i++] == service ? (found = true, run.template operator()<Servers>()) : void()), ...);
  if (!found) throw HotelError("no service named '" + service + "'");
}

// Transport-specific (one of fixnet_transport.cc, grpc_transport.cc is linked into each program):
// `to` maps a service name to where it is reached (a fixnetd socket, or HOST:PORT for gRPC).
std::unique_ptr<HotelApi> connect_remote(const std::map<std::string, std::string>& to);
// Serves `service`'s methods from `impl` at `listen` (a fixnetd socket, or HOST:PORT) until killed;
// prints "ready" once callers can call.
void serve(const std::string& service, HotelApi& impl, const std::string& listen);

}  // namespace hotel
