// The services' logic (README.md): what each service answers, over the data set (dataset.h) and,
// for reservations and users, a redis server (the state DeathStarBench keeps in MongoDB/memcached).
// Methods of other services throw: a process serves only its own service's methods.
#pragma once

#include <mutex>
#include <string>

#include "api.h"

struct redisContext;

namespace hotel {

class NotServedHere : public HotelApi {
 public:
  Ids nearby(double, double) override;
  std::vector<RatePlan> rates(const Ids&, const std::string&, const std::string&) override;
  std::vector<HotelProfile> profiles(const Ids&) override;
  Ids search(double, double, const std::string&, const std::string&) override;
  Ids check_availability(const Booking&) override;
  Ids make_reservation(const Booking&) override;
  bool check_user(const std::string&, const std::string&) override;
  Ids recommend(const std::string&, double, double) override;
};

// Geo, Rate, Profile and Recommendation: answers from the data set alone.
class CatalogServices : public NotServedHere {
 public:
  Ids nearby(double lat, double lon) override;  // the 5 nearest hotels within 10 km
  std::vector<RatePlan> rates(const Ids& ids, const std::string& in, const std::string& out) override;
  std::vector<HotelProfile> profiles(const Ids& ids) override;
  Ids recommend(const std::string& require, double lat, double lon) override;
};

// Reservation and User: state in redis (keys "rooms:HOTEL:DATE", "reservations:CUSTOMER", hash "users").
class StatefulServices : public NotServedHere {
 public:
  explicit StatefulServices(const std::string& redis_address);  // HOST:PORT
  ~StatefulServices() override;
  void load_users();  // stores every user's password (the user service does this at start)
  Ids check_availability(const Booking& booking) override;
  Ids make_reservation(const Booking& booking) override;  // all of the booking's nights or nothing
  bool check_user(const std::string& username, const std::string& password) override;

 private:
  std::vector<long long> booked(const Ids& hotel_ids, const Booking& booking);
  std::mutex mutex_;  // one connection, and a check-then-book that must not interleave
  redisContext* redis_ = nullptr;
};

// Search: Geo's nearby hotels that Rate has plans for, through `downstream` (remote geo and rate).
class SearchService : public NotServedHere {
 public:
  explicit SearchService(HotelApi& downstream) : downstream_(downstream) {}
  Ids search(double lat, double lon, const std::string& in, const std::string& out) override;

 private:
  HotelApi& downstream_;
};

}  // namespace hotel
