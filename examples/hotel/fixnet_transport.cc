// The hotel application on fixnet RPC (api.h): calls through protoc-gen-fixnet's stubs to the
// machine's fixnetd, serving through its server skeletons. Each service a process calls is reached
// through a fixnetd socket of its own (README.md: a fixnetd sends every call to its one --peer).
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "api.h"
#include "core/error.h"
#include "hotel.fixnet.h"

namespace hotel {

namespace {

namespace pb = fixnet::examples::hotel;
namespace stub = fixnet::rpc::stub;

// Clients of one service, one per concurrent caller (a fixnet client is one application connection
// and is not shared between threads): taken for a call, given back after it.
template <class C>
class ClientPool {
 public:
  explicit ClientPool(std::string socket) : socket_(std::move(socket)) {}

  template <class F>
  auto call(F&& f) {
    std::unique_ptr<C> client = take();
    struct GiveBack {
      ClientPool* pool;
      std::unique_ptr<C>& client;
      ~GiveBack() {
        std::lock_guard lock(pool->mutex_);
        pool->free_.push_back(std::move(client));
      }
    } give_back{this, client};
    return f(*client);
  }

 private:
  std::unique_ptr<C> take() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        auto c = std::move(free_.back());
        free_.pop_back();
        return c;
      }
    }
    if (socket_.empty()) throw HotelError("this process was given no fixnetd socket for a service it calls (--to)");
    return std::make_unique<C>(C::connect(socket_));
  }

  std::string socket_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<C>> free_;
};

template <class R>
const R& checked(stub::Result<R>& reply, const char* method) {
  const std::string why = std::string(method) + " failed: " + std::string(fixnet::rpc::status_text(reply.status()));
  if (reply.status() == fixnet::rpc::Status::kDenied) throw DeniedError(why);  // an acl policy (hotel-policies.toml)
  if (!reply.ok()) throw HotelError(why);
  return *reply;
}

template <class M>
void put_ids(M& message, const Ids& ids, void (M::*resize)(uint64_t), void (M::*set)(uint64_t, std::string_view)) {
  (message.*resize)(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) (message.*set)(i, ids[i]);
}

template <class M>
Ids get_ids(const M& message, uint64_t (M::*size)() const, std::string_view (M::*at)(uint64_t) const) {
  Ids ids;
  for (uint64_t i = 0; i < (message.*size)(); ++i) ids.emplace_back((message.*at)(i));
  return ids;
}

void put_booking(pb::Booking& m, const Booking& b) {
  m.set_customer_name(b.customer_name);
  put_ids(m, b.hotel_ids, &pb::Booking::resize_hotel_ids, &pb::Booking::set_hotel_ids);
  m.set_in_date(b.in_date);
  m.set_out_date(b.out_date);
  m.set_room_number(b.room_number);
}

Booking get_booking(const pb::Booking& m) {
  return {std::string(m.customer_name()), get_ids(m, &pb::Booking::hotel_ids_size, &pb::Booking::hotel_ids),
          std::string(m.in_date()), std::string(m.out_date()), m.room_number()};
}

Ids get_ids(const pb::HotelIds& m) { return get_ids(m, &pb::HotelIds::ids_size, &pb::HotelIds::ids); }
void put_ids(pb::HotelIds& m, const Ids& ids) { put_ids(m, ids, &pb::HotelIds::resize_ids, &pb::HotelIds::set_ids); }

class FixnetRemote final : public HotelApi {
 public:
  explicit FixnetRemote(const std::map<std::string, std::string>& to)
      : geo_(at(to, "geo")), rate_(at(to, "rate")), profile_(at(to, "profile")), search_(at(to, "search")),
        reservation_(at(to, "reservation")), user_(at(to, "user")), recommendation_(at(to, "recommendation")) {}

  Ids nearby(double lat, double lon) override {
    return geo_.call([&](pb::GeoClient& c) {
      auto request = c.make<pb::Point>();
      request->set_lat(lat);
      request->set_lon(lon);
      auto reply = c.Nearby(std::move(request));
      return get_ids(checked(reply, "Geo.Nearby"));
    });
  }
  std::vector<RatePlan> rates(const Ids& ids, const std::string& in, const std::string& out) override {
    return rate_.call([&](pb::RateClient& c) {
      auto request = c.make<pb::RateRequest>();
      put_ids(*request, ids, &pb::RateRequest::resize_hotel_ids, &pb::RateRequest::set_hotel_ids);
      request->set_in_date(in);
      request->set_out_date(out);
      auto reply = c.GetRates(std::move(request));
      const auto& plans = checked(reply, "Rate.GetRates");
      std::vector<RatePlan> result;
      for (uint64_t i = 0; i < plans.plans_size(); ++i) {
        const pb::RatePlan p = plans.plans(i);
        result.push_back({std::string(p.hotel_id()), std::string(p.code()), std::string(p.in_date()),
                          std::string(p.out_date()), p.bookable_rate(), p.total_rate(), std::string(p.room_description())});
      }
      return result;
    });
  }
  std::vector<HotelProfile> profiles(const Ids& ids) override {
    return profile_.call([&](pb::ProfileClient& c) {
      auto request = c.make<pb::HotelIds>();
      put_ids(*request, ids);
      auto reply = c.GetProfiles(std::move(request));
      const auto& profiles = checked(reply, "Profile.GetProfiles");
      std::vector<HotelProfile> result;
      for (uint64_t i = 0; i < profiles.hotels_size(); ++i) {
        const pb::HotelProfile p = profiles.hotels(i);
        result.push_back({std::string(p.id()), std::string(p.name()), std::string(p.phone()), std::string(p.description()),
                          std::string(p.street()), std::string(p.city()), p.lat(), p.lon()});
      }
      return result;
    });
  }
  Ids search(double lat, double lon, const std::string& in, const std::string& out) override {
    return search_.call([&](pb::SearchClient& c) {
      auto request = c.make<pb::Stay>();
      request->set_lat(lat);
      request->set_lon(lon);
      request->set_in_date(in);
      request->set_out_date(out);
      auto reply = c.SearchNearby(std::move(request));
      return get_ids(checked(reply, "Search.SearchNearby"));
    });
  }
  Ids check_availability(const Booking& booking) override {
    return reservation_.call([&](pb::ReservationClient& c) {
      auto request = c.make<pb::Booking>();
      put_booking(*request, booking);
      auto reply = c.CheckAvailability(std::move(request));
      return get_ids(checked(reply, "Reservation.CheckAvailability"));
    });
  }
  Ids make_reservation(const Booking& booking) override {
    return reservation_.call([&](pb::ReservationClient& c) {
      auto request = c.make<pb::Booking>();
      put_booking(*request, booking);
      auto reply = c.MakeReservation(std::move(request));
      return get_ids(checked(reply, "Reservation.MakeReservation"));
    });
  }
  bool check_user(const std::string& username, const std::string& password) override {
    return user_.call([&](pb::UserClient& c) {
      auto request = c.make<pb::Credentials>();
      request->set_username(username);
      request->set_password(password);
      auto reply = c.CheckUser(std::move(request));
      return checked(reply, "User.CheckUser").correct();
    });
  }
  Ids recommend(const std::string& require, double lat, double lon) override {
    return recommendation_.call([&](pb::RecommendationClient& c) {
      auto request = c.make<pb::Preference>();
      request->set_require(require);
      request->set_lat(lat);
      request->set_lon(lon);
      auto reply = c.GetRecommendations(std::move(request));
      return get_ids(checked(reply, "Recommendation.GetRecommendations"));
    });
  }

 private:
  static std::string at(const std::map<std::string, std::string>& to, const std::string& service) {
    auto it = to.find(service);
    return it == to.end() ? std::string() : it->second;
  }

  ClientPool<pb::GeoClient> geo_;
  ClientPool<pb::RateClient> rate_;
  ClientPool<pb::ProfileClient> profile_;
  ClientPool<pb::SearchClient> search_;
  ClientPool<pb::ReservationClient> reservation_;
  ClientPool<pb::UserClient> user_;
  ClientPool<pb::RecommendationClient> recommendation_;
};

// A handler's failure cannot travel back through the fixnet stubs (they have no error reply), so
// the caller gets the empty answer and the reason is logged here; the frontend checks its
// parameters before calling, so this is a bug or a lost store, not bad user input.
template <class F>
void guarded(const char* method, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hotel: %s: %s\n", method, e.what());
  }
}

struct GeoServer final : pb::GeoService {
  HotelApi& impl;
  explicit GeoServer(HotelApi& i) : impl(i) {}
  void Nearby(const pb::Point& in, pb::HotelIds& out) override {
    guarded("Geo.Nearby", [&] { put_ids(out, impl.nearby(in.lat(), in.lon())); });
  }
};

struct RateServer final : pb::RateService {
  HotelApi& impl;
  explicit RateServer(HotelApi& i) : impl(i) {}
  void GetRates(const pb::RateRequest& in, pb::RatePlans& out) override {
    guarded("Rate.GetRates", [&] {
      const auto plans = impl.rates(get_ids(in, &pb::RateRequest::hotel_ids_size, &pb::RateRequest::hotel_ids),
                                    std::string(in.in_date()), std::string(in.out_date()));
      out.resize_plans(plans.size());
      for (size_t i = 0; i < plans.size(); ++i) {
        pb::RatePlan p = out.plans(i);
        p.set_hotel_id(plans[i].hotel_id);
        p.set_code(plans[i].code);
        p.set_in_date(plans[i].in_date);
        p.set_out_date(plans[i].out_date);
        p.set_bookable_rate(plans[i].bookable_rate);
        p.set_total_rate(plans[i].total_rate);
        p.set_room_description(plans[i].room_description);
      }
    });
  }
};

struct ProfileServer final : pb::ProfileService {
  HotelApi& impl;
  explicit ProfileServer(HotelApi& i) : impl(i) {}
  void GetProfiles(const pb::HotelIds& in, pb::Profiles& out) override {
    guarded("Profile.GetProfiles", [&] {
      const auto profiles = impl.profiles(get_ids(in));
      out.resize_hotels(profiles.size());
      for (size_t i = 0; i < profiles.size(); ++i) {
        pb::HotelProfile p = out.hotels(i);
        p.set_id(profiles[i].id);
        p.set_name(profiles[i].name);
        p.set_phone(profiles[i].phone);
        p.set_description(profiles[i].description);
        p.set_street(profiles[i].street);
        p.set_city(profiles[i].city);
        p.set_lat(profiles[i].lat);
        p.set_lon(profiles[i].lon);
      }
    });
  }
};

struct SearchServer final : pb::SearchService {
  HotelApi& impl;
  explicit SearchServer(HotelApi& i) : impl(i) {}
  void SearchNearby(const pb::Stay& in, pb::HotelIds& out) override {
    guarded("Search.SearchNearby", [&] {
      put_ids(out, impl.search(in.lat(), in.lon(), std::string(in.in_date()), std::string(in.out_date())));
    });
  }
};

struct ReservationServer final : pb::ReservationService {
  HotelApi& impl;
  explicit ReservationServer(HotelApi& i) : impl(i) {}
  void CheckAvailability(const pb::Booking& in, pb::HotelIds& out) override {
    guarded("Reservation.CheckAvailability", [&] { put_ids(out, impl.check_availability(get_booking(in))); });
  }
  void MakeReservation(const pb::Booking& in, pb::HotelIds& out) override {
    guarded("Reservation.MakeReservation", [&] { put_ids(out, impl.make_reservation(get_booking(in))); });
  }
};

struct UserServer final : pb::UserService {
  HotelApi& impl;
  explicit UserServer(HotelApi& i) : impl(i) {}
  void CheckUser(const pb::Credentials& in, pb::Verdict& out) override {
    guarded("User.CheckUser", [&] { out.set_correct(impl.check_user(std::string(in.username()), std::string(in.password()))); });
  }
};

struct RecommendationServer final : pb::RecommendationService {
  HotelApi& impl;
  explicit RecommendationServer(HotelApi& i) : impl(i) {}
  void GetRecommendations(const pb::Preference& in, pb::HotelIds& out) override {
    guarded("Recommendation.GetRecommendations",
            [&] { put_ids(out, impl.recommend(std::string(in.require()), in.lat(), in.lon())); });
  }
};

// Serving applications bound to one fixnetd share its callers' connections (each connection goes
// to one of them), so $HOTEL_FIXNET_SERVERS of them (default 1), each a thread with its own
// skeleton, can answer concurrent callers concurrently, as gRPC's synchronous server does with its
// thread pool.
int serving_threads() {
  const char* text = std::getenv("HOTEL_FIXNET_SERVERS");
  const int n = text ? std::atoi(text) : 1;
  if (n < 1 || n > 64) throw HotelError("HOTEL_FIXNET_SERVERS must be 1 to 64");
  return n;
}

template <class S>
void run(HotelApi& impl, const std::string& socket) {
  std::vector<std::unique_ptr<fixnet::rpc::Server>> servers;
  for (int i = serving_threads(); i > 0; --i) servers.push_back(S::bind(socket));
  std::printf("ready\n");
  std::fflush(stdout);
  std::vector<std::thread> threads;
  for (auto& server : servers)
    threads.emplace_back([&impl, &server] {
      S skeleton(impl);
      skeleton.serve(*server);
    });
  for (auto& t : threads) t.join();
}

}  // namespace

std::unique_ptr<HotelApi> connect_remote(const std::map<std::string, std::string>& to) {
  return std::make_unique<FixnetRemote>(to);
}

void serve(const std::string& service, HotelApi& impl, const std::string& listen) {
  try {
    run_server(ServerTypes<GeoServer, RateServer, ProfileServer, SearchServer, ReservationServer, UserServer,
                           RecommendationServer>{},
               service, [&]<class S>() { run<S>(impl, listen); });
  } catch (const fixnet::Error& e) {
    throw HotelError(e.what());
  }
}

}  // namespace hotel
