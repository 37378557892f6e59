// The application's data, generated deterministically at start (no data files): hotels around San
// Francisco with profiles, prices, ratings and room counts, and users Cornell_0 … Cornell_N.
#pragma once

#include <string>
#include <vector>

#include "api.h"

namespace hotel {

struct Hotel {
  HotelProfile profile;  // profile.id is "1" … "N"
  double price = 0;      // per night
  double rating = 0;     // 1 … 5
  int capacity = 0;      // rooms
};

constexpr int kHotels = 100;
constexpr int kUsers = 500;

const std::vector<Hotel>& hotels();             // kHotels entries, hotel i+1 at index i
const Hotel* find_hotel(const std::string& id);  // nullptr if there is no such hotel
std::string user_name(int i);                    // Cornell_i
std::string user_password(int i);               // the password the user service stores for Cornell_i

// Great-circle distance in km.
double distance_km(double lat1, double lon1, double lat2, double lon2);

// Days since 1970-01-01 of a YYYY-MM-DD date, and back; HotelError names a malformed date.
long day_number(const std::string& date);
std::string date_of(long day);
// The nights of a stay, checked: out after in, at most 30 nights.
long nights(const std::string& in, const std::string& out);

}  // namespace hotel
