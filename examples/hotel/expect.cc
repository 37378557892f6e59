// hotel-expect hotels LAT LON IN OUT | recommendations REQUIRE LAT LON | capacity ID | password N:
// what the frontend must answer on a fresh store, computed from the data set and the services'
// logic in this process, without any RPC — the reference `run --check` compares both transports'
// answers with. Prints hotel ids one per line, a hotel's room count, or user Cornell_N's password.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dataset.h"
#include "services.h"

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  try {
    hotel::CatalogServices catalog;
    hotel::Ids ids;
    if (what == "hotels" && argc == 6) ids = hotel::SearchService(catalog).search(std::atof(argv[2]), std::atof(argv[3]), argv[4], argv[5]);
    else if (what == "recommendations" && argc == 5) ids = catalog.recommend(argv[2], std::atof(argv[3]), std::atof(argv[4]));
    else if (what == "capacity" && argc == 3 && hotel::find_hotel(argv[2]))
      ids.push_back(std::to_string(hotel::find_hotel(argv[2])->capacity));
    else if (what == "password" && argc == 3) ids.push_back(hotel::user_password(std::atoi(argv[2])));
    else {
      std::fprintf(stderr, "usage: hotel-expect hotels LAT LON IN OUT | recommendations REQUIRE LAT LON | capacity ID | password N\n");
      return 2;
    }
    for (const auto& id : ids) std::printf("%s\n", id.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hotel-expect: %s\n", e.what());
    return 1;
  }
  return 0;
}
