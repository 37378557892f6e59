// The hotel application on plain gRPC (api.h): libgrpc++'s generated stubs and synchronous
// services from the same hotel.proto, every call straight over HTTP/2 to HOST:PORT (or to a sidecar
// there). Errors travel as gRPC statuses: INVALID_ARGUMENT for bad input, INTERNAL otherwise.
#include <grpcpp/grpcpp.h>

#include <cstdio>

#include "api.h"
#include "hotel.grpc.pb.h"

namespace hotel {

namespace {

namespace pb = fixnet::examples::hotel;

void check(const grpc::Status& status, const char* method) {
  if (status.ok()) return;
  const std::string text = std::string(method) + " failed: " + status.error_message();
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) throw HotelError(text);
  throw std::runtime_error(text);
}

// One synchronous call: the reply, or HotelError/runtime_error from its status.
template <class Stub, class Request, class Reply>
Reply call(Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Reply*),
           const Request& request, const char* name) {
  Reply reply;
  grpc::ClientContext context;
  check((stub.*method)(&context, request, &reply), name);
  return reply;
}

template <class R>
Ids ids_of(const R& repeated) {
  return Ids(repeated.begin(), repeated.end());
}

void put_booking(pb::Booking& m, const Booking& b) {
  m.set_customer_name(b.customer_name);
  for (const auto& id : b.hotel_ids) m.add_hotel_ids(id);
  m.set_in_date(b.in_date);
  m.set_out_date(b.out_date);
  m.set_room_number(b.room_number);
}

Booking get_booking(const pb::Booking& m) {
  return {m.customer_name(), ids_of(m.hotel_ids()), m.in_date(), m.out_date(), m.room_number()};
}

void put_ids(pb::HotelIds& m, const Ids& ids) {
  for (const auto& id : ids) m.add_ids(id);
}

class GrpcRemote final : public HotelApi {
 public:
  explicit GrpcRemote(const std::map<std::string, std::string>& to) {
    for (const auto& [service, address] : to)
      channels_[service] = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    geo_ = pb::Geo::NewStub(channel("geo"));
    rate_ = pb::Rate::NewStub(channel("rate"));
    profile_ = pb::Profile::NewStub(channel("profile"));
    search_ = pb::Search::NewStub(channel("search"));
    reservation_ = pb::Reservation::NewStub(channel("reservation"));
    user_ = pb::User::NewStub(channel("user"));
    recommendation_ = pb::Recommendation::NewStub(channel("recommendation"));
  }

  Ids nearby(double lat, double lon) override {
    pb::Point request;
    request.set_lat(lat);
    request.set_lon(lon);
    const auto reply = call(*geo_, &pb::Geo::Stub::Nearby, request, "Geo.Nearby");
    return ids_of(reply.ids());
  }
  std::vector<RatePlan> rates(const Ids& ids, const std::string& in, const std::string& out) override {
    pb::RateRequest request;
    for (const auto& id : ids) request.add_hotel_ids(id);
    request.set_in_date(in);
    request.set_out_date(out);
    const auto reply = call(*rate_, &pb::Rate::Stub::GetRates, request, "Rate.GetRates");
    std::vector<RatePlan> result;
    for (const auto& p : reply.plans())
      result.push_back({p.hotel_id(), p.code(), p.in_date(), p.out_date(), p.bookable_rate(), p.total_rate(),
                        p.room_description()});
    return result;
  }
  std::vector<HotelProfile> profiles(const Ids& ids) override {
    pb::HotelIds request;
    put_ids(request, ids);
    const auto reply = call(*profile_, &pb::Profile::Stub::GetProfiles, request, "Profile.GetProfiles");
    std::vector<HotelProfile> result;
    for (const auto& p : reply.hotels())
      result.push_back({p.id(), p.name(), p.phone(), p.description(), p.street(), p.city(), p.lat(), p.lon()});
    return result;
  }
  Ids search(double lat, double lon, const std::string& in, const std::string& out) override {
    pb::Stay request;
    request.set_lat(lat);
    request.set_lon(lon);
    request.set_in_date(in);
    request.set_out_date(out);
    const auto reply = call(*search_, &pb::Search::Stub::SearchNearby, request, "Search.SearchNearby");
    return ids_of(reply.ids());
  }
  Ids check_availability(const Booking& booking) override {
    pb::Booking request;
    put_booking(request, booking);
    const auto reply = call(*reservation_, &pb::Reservation::Stub::CheckAvailability, request, "Reservation.CheckAvailability");
    return ids_of(reply.ids());
  }
  Ids make_reservation(const Booking& booking) override {
    pb::Booking request;
    put_booking(request, booking);
    const auto reply = call(*reservation_, &pb::Reservation::Stub::MakeReservation, request, "Reservation.MakeReservation");
    return ids_of(reply.ids());
  }
  bool check_user(const std::string& username, const std::string& password) override {
    pb::Credentials request;
    request.set_username(username);
    request.set_password(password);
    const auto reply = call(*user_, &pb::User::Stub::CheckUser, request, "User.CheckUser");
    return reply.correct();
  }
  Ids recommend(const std::string& require, double lat, double lon) override {
    pb::Preference request;
    request.set_require(require);
    request.set_lat(lat);
    request.set_lon(lon);
    const auto reply = call(*recommendation_, &pb::Recommendation::Stub::GetRecommendations, request, "Recommendation.GetRecommendations");
    return ids_of(reply.ids());
  }

 private:
  // A service this process was not told about gets a channel nowhere: its calls fail, naming it.
  std::shared_ptr<grpc::Channel> channel(const std::string& service) {
    auto it = channels_.find(service);
    if (it != channels_.end()) return it->second;
    return grpc::CreateChannel("unix:/nonexistent-hotel-" + service, grpc::InsecureChannelCredentials());
  }

  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  std::unique_ptr<pb::Geo::Stub> geo_;
  std::unique_ptr<pb::Rate::Stub> rate_;
  std::unique_ptr<pb::Profile::Stub> profile_;
  std::unique_ptr<pb::Search::Stub> search_;
  std::unique_ptr<pb::Reservation::Stub> reservation_;
  std::unique_ptr<pb::User::Stub> user_;
  std::unique_ptr<pb::Recommendation::Stub> recommendation_;
};

template <class F>
grpc::Status guarded(F&& f) {
  try {
    f();
    return grpc::Status::OK;
  } catch (const HotelError& e) {
    return {grpc::StatusCode::INVALID_ARGUMENT, e.what()};
  } catch (const std::exception& e) {
    return {grpc::StatusCode::INTERNAL, e.what()};
  }
}

using Context = grpc::ServerContext;

struct GeoServer final : pb::Geo::Service {
  HotelApi& impl;
  explicit GeoServer(HotelApi& i) : impl(i) {}
  grpc::Status Nearby(Context*, const pb::Point* in, pb::HotelIds* out) override {
    return guarded([&] { put_ids(*out, impl.nearby(in->lat(), in->lon())); });
  }
};

struct RateServer final : pb::Rate::Service {
  HotelApi& impl;
  explicit RateServer(HotelApi& i) : impl(i) {}
  grpc::Status GetRates(Context*, const pb::RateRequest* in, pb::RatePlans* out) override {
    return guarded([&] {
      for (const auto& plan : impl.rates(ids_of(in->hotel_ids()), in->in_date(), in->out_date())) {
        pb::RatePlan* p = out->add_plans();
        p->set_hotel_id(plan.hotel_id);
        p->set_code(plan.code);
        p->set_in_date(plan.in_date);
        p->set_out_date(plan.out_date);
        p->set_bookable_rate(plan.bookable_rate);
        p->set_total_rate(plan.total_rate);
        p->set_room_description(plan.room_description);
      }
    });
  }
};

struct ProfileServer final : pb::Profile::Service {
  HotelApi& impl;
  explicit ProfileServer(HotelApi& i) : impl(i) {}
  grpc::Status GetProfiles(Context*, const pb::HotelIds* in, pb::Profiles* out) override {
    return guarded([&] {
      for (const auto& profile : impl.profiles(ids_of(in->ids()))) {
        pb::HotelProfile* p = out->add_hotels();
        p->set_id(profile.id);
        p->set_name(profile.name);
        p->set_phone(profile.phone);
        p->set_description(profile.description);
        p->set_street(profile.street);
        p->set_city(profile.city);
        p->set_lat(profile.lat);
        p->set_lon(profile.lon);
      }
    });
  }
};

struct SearchServer final : pb::Search::Service {
  HotelApi& impl;
  explicit SearchServer(HotelApi& i) : impl(i) {}
  grpc::Status SearchNearby(Context*, const pb::Stay* in, pb::HotelIds* out) override {
    return guarded([&] { put_ids(*out, impl.search(in->lat(), in->lon(), in->in_date(), in->out_date())); });
  }
};

struct ReservationServer final : pb::Reservation::Service {
  HotelApi& impl;
  explicit ReservationServer(HotelApi& i) : impl(i) {}
  grpc::Status CheckAvailability(Context*, const pb::Booking* in, pb::HotelIds* out) override {
    return guarded([&] { put_ids(*out, impl.check_availability(get_booking(*in))); });
  }
  grpc::Status MakeReservation(Context*, const pb::Booking* in, pb::HotelIds* out) override {
    return guarded([&] { put_ids(*out, impl.make_reservation(get_booking(*in))); });
  }
};

struct UserServer final : pb::User::Service {
  HotelApi& impl;
  explicit UserServer(HotelApi& i) : impl(i) {}
  grpc::Status CheckUser(Context*, const pb::Credentials* in, pb::Verdict* out) override {
    return guarded([&] { out->set_correct(impl.check_user(in->username(), in->password())); });
  }
};

struct RecommendationServer final : pb::Recommendation::Service {
  HotelApi& impl;
  explicit RecommendationServer(HotelApi& i) : impl(i) {}
  grpc::Status GetRecommendations(Context*, const pb::Preference* in, pb::HotelIds* out) override {
    return guarded([&] { put_ids(*out, impl.recommend(in->require(), in->lat(), in->lon())); });
  }
};

template <class S>
void run(HotelApi& impl, const std::string& address) {
  S service(impl);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (!server || port == 0) throw HotelError("cannot serve gRPC on " + address + " (in use, or not HOST:PORT)");
  std::printf("ready\n");
  std::fflush(stdout);
  server->Wait();
}

}  // namespace

std::unique_ptr<HotelApi> connect_remote(const std::map<std::string, std::string>& to) {
  return std::make_unique<GrpcRemote>(to);
}

void serve(const std::string& service, HotelApi& impl, const std::string& listen) {
  run_server(ServerTypes<GeoServer, RateServer, ProfileServer, SearchServer, ReservationServer, UserServer,
                         RecommendationServer>{},
             service, [&]<class S>() { run<S>(impl, listen); });
}

}  // namespace hotel
