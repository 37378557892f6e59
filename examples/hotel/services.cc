#include "services.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <set>
#include <span>

#include "dataset.h"

namespace hotel {

namespace {

[[noreturn]] void not_here(const char* method) {
  throw HotelError(std::string(method) + " is not served by this service");
}

const Hotel& hotel_or_throw(const std::string& id) {
  const Hotel* h = find_hotel(id);
  if (h == nullptr) throw HotelError("no hotel '" + id + "' (ids are 1 to " + std::to_string(kHotels) + ")");
  return *h;
}

// One reply of a redis command, freed on scope exit; a failed command throws.
struct Reply {
  redisReply* r;
  Reply(redisContext* c, const std::vector<std::string>& argv) {
    std::vector<const char*> args;
    std::vector<size_t> lengths;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lengths.push_back(a.size());
    }
    r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lengths.data()));
    if (r == nullptr) throw HotelError(std::string("redis: ") + (c->errstr[0] ? c->errstr : "no reply"));
    if (r->type == REDIS_REPLY_ERROR) {
      const std::string text(r->str, r->len);
      freeReplyObject(r);
      throw HotelError("redis: " + text);
    }
  }
  ~Reply() { freeReplyObject(r); }
};

// A room count as redis answers it: a number, or nil when nothing is booked.
long long count_of(const redisReply* r) {
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  if (r->type == REDIS_REPLY_STRING) return std::stoll(std::string(r->str, r->len));
  return 0;
}

// Whether `rooms` more fit in `h` on each night, given what is booked per night.
bool fits(const Hotel& h, std::span<const long long> booked, int rooms) {
  return std::all_of(booked.begin(), booked.end(), [&](long long b) { return b + rooms <= h.capacity; });
}

std::string rooms_key(const std::string& hotel_id, long day) { return "rooms:" + hotel_id + ":" + date_of(day); }

}  // namespace

Ids NotServedHere::nearby(double, double) { not_here("Geo.Nearby"); }
std::vector<RatePlan> NotServedHere::rates(const Ids&, const std::string&, const std::string&) { not_here("Rate.GetRates"); }
std::vector<HotelProfile> NotServedHere::profiles(const Ids&) { not_here("Profile.GetProfiles"); }
Ids NotServedHere::search(double, double, const std::string&, const std::string&) { not_here("Search.SearchNearby"); }
Ids NotServedHere::check_availability(const Booking&) { not_here("Reservation.CheckAvailability"); }
Ids NotServedHere::make_reservation(const Booking&) { not_here("Reservation.MakeReservation"); }
bool NotServedHere::check_user(const std::string&, const std::string&) { not_here("User.CheckUser"); }
Ids NotServedHere::recommend(const std::string&, double, double) { not_here("Recommendation.GetRecommendations"); }

Ids CatalogServices::nearby(double lat, double lon) {
  std::vector<std::pair<double, std::string>> near;
  for (const Hotel& h : hotels()) {
    const double d = distance_km(lat, lon, h.profile.lat, h.profile.lon);
    if (d <= 10) near.emplace_back(d, h.profile.id);
  }
  std::sort(near.begin(), near.end());
  Ids ids;
  for (size_t i = 0; i < near.size() && i < 5; ++i) ids.push_back(near[i].second);
  return ids;
}

std::vector<RatePlan> CatalogServices::rates(const Ids& ids, const std::string& in, const std::string& out) {
  const long n = nights(in, out);
  std::vector<RatePlan> plans;
  for (const auto& id : ids) {
    const Hotel& h = hotel_or_throw(id);
    plans.push_back({id, "RACK", in, out, h.price, h.price * static_cast<double>(n), "King sized bed"});
  }
  // Cheapest first, as the search result is shown.
  std::stable_sort(plans.begin(), plans.end(), [](const RatePlan& a, const RatePlan& b) { return a.total_rate < b.total_rate; });
  return plans;
}

std::vector<HotelProfile> CatalogServices::profiles(const Ids& ids) {
  std::vector<HotelProfile> out;
  for (const auto& id : ids) out.push_back(hotel_or_throw(id).profile);
  return out;
}

Ids CatalogServices::recommend(const std::string& require, double lat, double lon) {
  double best = 0;
  Ids ids;
  for (const Hotel& h : hotels()) {
    double score;  // higher is better
    if (require == "dis") score = -distance_km(lat, lon, h.profile.lat, h.profile.lon);
    else if (require == "rate") score = h.rating;
    else if (require == "price") score = -h.price;
    else throw HotelError("require '" + require + "' is none of dis, rate, price");
    if (ids.empty() || score > best) ids.assign(1, h.profile.id), best = score;
    else if (score == best) ids.push_back(h.profile.id);
  }
  return ids;
}

StatefulServices::StatefulServices(const std::string& redis_address) {
  const auto colon = redis_address.rfind(':');
  if (colon == std::string::npos) throw HotelError("--redis '" + redis_address + "' is not HOST:PORT");
  redis_ = redisConnect(redis_address.substr(0, colon).c_str(), std::stoi(redis_address.substr(colon + 1)));
  if (redis_ == nullptr || redis_->err)
    throw HotelError("cannot reach redis at " + redis_address + ": " + (redis_ ? redis_->errstr : "out of memory") +
                     " (start redis-server there)");
}

StatefulServices::~StatefulServices() { redisFree(redis_); }

void StatefulServices::load_users() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> argv{"HSET", "users"};
  for (int i = 0; i <= kUsers; ++i) {
    argv.push_back(user_name(i));
    argv.push_back(user_password(i));
  }
  Reply(redis_, argv);
}

bool StatefulServices::check_user(const std::string& username, const std::string& password) {
  std::lock_guard lock(mutex_);
  Reply r(redis_, {"HGET", "users", username});
  return r.r->type == REDIS_REPLY_STRING && std::string(r.r->str, r.r->len) == password;
}

// Rooms booked per night of `booking`, for each of `hotel_ids` in turn: one MGET for all of them
// (as DeathStarBench's reservation service reads its counts with one memcached get-multi).
std::vector<long long> StatefulServices::booked(const Ids& hotel_ids, const Booking& booking) {
  const long first = day_number(booking.in_date), n = nights(booking.in_date, booking.out_date);
  std::vector<std::string> argv{"MGET"};
  for (const auto& id : hotel_ids)
    for (long day = first; day < first + n; ++day) argv.push_back(rooms_key(id, day));
  std::vector<long long> counts;
  if (argv.size() == 1) return counts;
  Reply r(redis_, argv);
  if (r.r->type != REDIS_REPLY_ARRAY || r.r->elements != argv.size() - 1)
    throw HotelError("redis: MGET answered " + std::to_string(r.r->elements) + " values for " +
                     std::to_string(argv.size() - 1) + " keys");
  for (size_t i = 0; i < r.r->elements; ++i) counts.push_back(count_of(r.r->element[i]));
  return counts;
}

Ids StatefulServices::check_availability(const Booking& booking) {
  if (booking.room_number < 1) throw HotelError("room number must be at least 1");
  std::vector<const Hotel*> hotels;
  for (const auto& id : booking.hotel_ids) hotels.push_back(&hotel_or_throw(id));
  const size_t n = nights(booking.in_date, booking.out_date);
  std::lock_guard lock(mutex_);
  const std::vector<long long> counts = booked(booking.hotel_ids, booking);
  Ids ids;
  for (size_t i = 0; i < hotels.size(); ++i)
    if (fits(*hotels[i], std::span(counts).subspan(i * n, n), booking.room_number)) ids.push_back(booking.hotel_ids[i]);
  return ids;
}

Ids StatefulServices::make_reservation(const Booking& booking) {
  if (booking.room_number < 1) throw HotelError("room number must be at least 1");
  if (booking.hotel_ids.size() != 1) throw HotelError("a reservation names exactly one hotel");
  if (booking.customer_name.empty()) throw HotelError("a reservation needs a customer name");
  const std::string& id = booking.hotel_ids[0];
  const Hotel& h = hotel_or_throw(id);
  const long first = day_number(booking.in_date), n = nights(booking.in_date, booking.out_date);
  std::lock_guard lock(mutex_);
  if (!fits(h, booked(booking.hotel_ids, booking), booking.room_number)) return {};
  for (long day = first; day < first + n; ++day)
    Reply(redis_, {"INCRBY", rooms_key(id, day), std::to_string(booking.room_number)});
  Reply(redis_, {"RPUSH", "reservations:" + booking.customer_name,
                 id + " " + booking.in_date + " " + booking.out_date + " " + std::to_string(booking.room_number)});
  return {id};
}

Ids SearchService::search(double lat, double lon, const std::string& in, const std::string& out) {
  const Ids near = downstream_.nearby(lat, lon);
  Ids ids;
  for (const RatePlan& plan : downstream_.rates(near, in, out)) ids.push_back(plan.hotel_id);
  return ids;
}

}  // namespace hotel
