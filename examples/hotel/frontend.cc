#include "frontend.h"

#include <httplib.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "dataset.h"

namespace hotel {

namespace {

using nlohmann::json;

std::string param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) throw HotelError(std::string("missing parameter '") + name + "'");
  return req.get_param_value(name);
}

double coordinate(const httplib::Request& req, const char* name) {
  const std::string text = param(req, name);
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') throw HotelError(std::string("parameter '") + name + "' is not a number: " + text);
  return v;
}

// GeoJSON, as DeathStarBench's frontend answers.
json features(const std::vector<HotelProfile>& hotels) {
  json list = json::array();
  for (const auto& h : hotels)
    list.push_back({{"type", "Feature"},
                    {"id", h.id},
                    {"properties", {{"name", h.name}, {"phone_number", h.phone}}},
                    {"geometry", {{"type", "Point"}, {"coordinates", {h.lon, h.lat}}}}});
  return {{"type", "FeatureCollection"}, {"features", list}};
}

void answer(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

// Runs `handle`; a call a policy denied is 403, bad input (HotelError from our own checks or a
// service) 400, anything else 500.
template <class F>
httplib::Server::Handler endpoint(F handle) {
  return [handle](const httplib::Request& req, httplib::Response& res) {
    try {
      handle(req, res);
    } catch (const DeniedError& e) {
      answer(res, 403, {{"error", e.what()}});
    } catch (const HotelError& e) {
      answer(res, 400, {{"error", e.what()}});
    } catch (const std::exception& e) {
      answer(res, 500, {{"error", e.what()}});
    }
  };
}

}  // namespace

void run_frontend(HotelApi& services, uint16_t port) {
  httplib::Server server;
  // httplib gives each kept-alive connection a thread for as long as it lives: enough threads for
  // hotel-load's workers (32), and connections that are not closed after a few requests, so the
  // frontend never makes a request wait for a thread.
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.set_keep_alive_max_count(1000000);
  // httplib writes a response's headers and body in two sends: with Nagle's algorithm the body waits
  // for the client's delayed ACK of the headers on a kept-alive connection — 40 ms per answer.
  server.set_tcp_nodelay(true);
  auto hotels = endpoint([&](const httplib::Request& req, httplib::Response& res) {
    const std::string in = param(req, "inDate"), out = param(req, "outDate");
    nights(in, out);
    const Ids near = services.search(coordinate(req, "lat"), coordinate(req, "lon"), in, out);
    const Ids free = services.check_availability({"", near, in, out, 1});
    answer(res, 200, features(services.profiles(free)));
  });
  auto recommendations = endpoint([&](const httplib::Request& req, httplib::Response& res) {
    const std::string require = param(req, "require");
    if (require != "dis" && require != "rate" && require != "price")
      throw HotelError("parameter 'require' must be dis, rate or price, not '" + require + "'");
    const Ids ids = services.recommend(require, coordinate(req, "lat"), coordinate(req, "lon"));
    answer(res, 200, features(services.profiles(ids)));
  });
  auto user = endpoint([&](const httplib::Request& req, httplib::Response& res) {
    if (services.check_user(param(req, "username"), param(req, "password")))
      answer(res, 200, {{"message", "Login successfully!"}});
    else
      answer(res, 401, {{"message", "Failed. Please check your username and password."}});
  });
  auto reservation = endpoint([&](const httplib::Request& req, httplib::Response& res) {
    if (!services.check_user(param(req, "username"), param(req, "password"))) {
      answer(res, 401, {{"message", "Failed. Please check your username and password."}});
      return;
    }
    const std::string number = req.has_param("number") ? req.get_param_value("number") : "1";
    char* end = nullptr;
    const long rooms = std::strtol(number.c_str(), &end, 10);
    if (number.empty() || *end != '\0' || rooms < 1 || rooms > 1000)
      throw HotelError("parameter 'number' must be 1 to 1000 rooms, not '" + number + "'");
    const Booking booking{param(req, "customerName"), {param(req, "hotelId")}, param(req, "inDate"),
                          param(req, "outDate"), static_cast<int>(rooms)};
    // Checked here because a fixnet service cannot answer an error (fixnet_transport.cc).
    nights(booking.in_date, booking.out_date);
    if (find_hotel(booking.hotel_ids[0]) == nullptr) throw HotelError("no hotel '" + booking.hotel_ids[0] + "'");
    if (booking.customer_name.empty()) throw HotelError("parameter 'customerName' is empty");
    if (services.make_reservation(booking).empty())
      answer(res, 409, {{"message", "Failed. Already reserved."}});
    else
      answer(res, 200, {{"message", "Reserve successfully!"}});
  });
  server.Get("/hotels", hotels);
  server.Get("/recommendations", recommendations);
  server.Get("/user", user);
  server.Post("/user", user);
  server.Get("/reservation", reservation);
  server.Post("/reservation", reservation);
  if (!server.bind_to_port("127.0.0.1", port)) throw HotelError("cannot listen on 127.0.0.1:" + std::to_string(port));
  std::printf("ready\n");
  std::fflush(stdout);
  server.listen_after_bind();
}

}  // namespace hotel
