#include "dataset.h"

#include <cmath>
#include <cstdio>

namespace hotel {

namespace {

// A fixed linear congruential sequence: the same data set on every machine and every run.
struct Sequence {
  uint64_t state;
  double next() {  // in [0, 1)
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53);
  }
};

std::vector<Hotel> generate() {
  static const char* streets[] = {"Market St", "Mission St", "Valencia St", "Geary Blvd", "Lombard St", "Castro St"};
  static const char* kinds[] = {"Inn", "Hotel", "Suites", "Lodge", "Resort"};
  Sequence seq{20261123};
  std::vector<Hotel> all;
  for (int i = 1; i <= kHotels; ++i) {
    Hotel h;
    HotelProfile& p = h.profile;
    p.id = std::to_string(i);
    p.name = "Fixnet " + std::string(kinds[i % 5]) + " " + p.id;
    char phone[32];
    std::snprintf(phone, sizeof phone, "(415) %03d-%04d", 200 + i, (i * 7919) % 10000);
    p.phone = phone;
    p.description = "A " + std::string(kinds[i % 5]) + " with " + std::to_string(20 + i % 7 * 10) + " rooms near downtown.";
    p.street = std::to_string(100 + i * 13) + " " + streets[i % 6];
    p.city = "San Francisco";
    // Spread over about 8 km × 8 km around downtown.
    p.lat = 37.7749 + (seq.next() - 0.5) * 0.072;
    p.lon = -122.4194 + (seq.next() - 0.5) * 0.09;
    h.price = 80 + std::floor(seq.next() * 220);
    h.rating = 1 + std::floor(seq.next() * 40) / 10;
    h.capacity = 10 * (1 + i % 5);
    all.push_back(std::move(h));
  }
  return all;
}

}  // namespace

const std::vector<Hotel>& hotels() {
  static const std::vector<Hotel> all = generate();
  return all;
}

const Hotel* find_hotel(const std::string& id) {
  char* end = nullptr;
  const long i = std::strtol(id.c_str(), &end, 10);
  if (id.empty() || *end != '\0' || i < 1 || i > kHotels) return nullptr;
  return &hotels()[static_cast<size_t>(i - 1)];
}

std::string user_name(int i) { return "Cornell_" + std::to_string(i); }

std::string user_password(int i) {
  std::string password;
  for (int k = 0; k < 8; ++k) password += static_cast<char>('a' + (i * 31 + k * 7) % 26);
  return password;
}

double distance_km(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kRadian = M_PI / 180, kEarthKm = 6371;
  const double dlat = (lat2 - lat1) * kRadian, dlon = (lon2 - lon1) * kRadian;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1 * kRadian) * std::cos(lat2 * kRadian) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthKm * std::asin(std::sqrt(a));
}

// Civil-calendar conversion (proleptic Gregorian), days relative to 1970-01-01.
long day_number(const std::string& date) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (date.size() != 10 || std::sscanf(date.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 ||
      d < 1 || d > 31)
    throw HotelError("date '" + date + "' is not YYYY-MM-DD");
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::string date_of(long z) {
  z += 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const long doe = z - era * 146097;
  const long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long mp = (5 * doy + 2) / 153;
  const long d = doy - (153 * mp + 2) / 5 + 1;
  const long m = mp < 10 ? mp + 3 : mp - 9;
  const long y = yoe + era * 400 + (m <= 2);
  char text[64];
  std::snprintf(text, sizeof text, "%04ld-%02ld-%02ld", y, m, d);
  return text;
}

long nights(const std::string& in, const std::string& out) {
  const long n = day_number(out) - day_number(in);
  if (n < 1 || n > 30)
    throw HotelError("stay " + in + " to " + out + " must be 1 to 30 nights (outDate after inDate)");
  return n;
}

}  // namespace hotel
