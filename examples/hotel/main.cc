// hotel-fixnet / hotel-grpc SERVICE [options]: one process of the hotel application (README.md);
// the program's name is its transport. SERVICE is frontend or one of api.h's service_names().
//   --listen WHERE        where the service is served: a fixnetd socket (fixnet) or HOST:PORT (gRPC)
//   --to SERVICE=WHERE    where a service it calls is reached (repeatable)
//   --redis HOST:PORT     reservation and user state
//   --http PORT           the frontend's HTTP port
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "api.h"
#include "frontend.h"
#include "services.h"

namespace {

struct Options {
  std::string service, listen, redis;
  std::map<std::string, std::string> to;
  uint16_t http = 0;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "hotel: %s\nusage: hotel-{fixnet,grpc} frontend|geo|rate|profile|search|reservation|user|recommendation "
               "[--listen WHERE] [--to SERVICE=WHERE]... [--redis HOST:PORT] [--http PORT]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  if (argc < 2) usage("no service named");
  Options o;
  o.service = argv[1];
  const auto& names = hotel::service_names();
  if (o.service != "frontend" && std::find(names.begin(), names.end(), o.service) == names.end())
    usage(("unknown service '" + o.service + "'").c_str());
  for (int i = 2; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage((flag + " needs a value").c_str());
    const std::string value = argv[i + 1];
    if (flag == "--listen") o.listen = value;
    else if (flag == "--redis") o.redis = value;
    else if (flag == "--http") {
      char* end = nullptr;
      const unsigned long port = std::strtoul(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || port == 0 || port > 65535) usage(("--http '" + value + "' is not a port").c_str());
      o.http = static_cast<uint16_t>(port);
    }
    else if (flag == "--to") {
      const auto eq = value.find('=');
      if (eq == std::string::npos) usage(("--to '" + value + "' is not SERVICE=WHERE").c_str());
      o.to[value.substr(0, eq)] = value.substr(eq + 1);
    } else usage(("unknown option " + flag).c_str());
  }
  if (o.service == "frontend" ? o.http == 0 : o.listen.empty())
    usage(o.service == "frontend" ? "the frontend needs --http PORT" : "a service needs --listen WHERE");
  if ((o.service == "reservation" || o.service == "user") && o.redis.empty()) usage("this service needs --redis HOST:PORT");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  try {
    if (o.service == "frontend") {
      auto remote = hotel::connect_remote(o.to);
      hotel::run_frontend(*remote, o.http);
    } else if (o.service == "search") {
      auto remote = hotel::connect_remote(o.to);
      hotel::SearchService search(*remote);
      hotel::serve(o.service, search, o.listen);
    } else if (o.service == "reservation" || o.service == "user") {
      hotel::StatefulServices state(o.redis);
      if (o.service == "user") state.load_users();
      hotel::serve(o.service, state, o.listen);
    } else {
      hotel::CatalogServices catalog;
      hotel::serve(o.service, catalog, o.listen);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hotel %s: %s\n", o.service.c_str(), e.what());
    return 1;
  }
  return 0;
}
