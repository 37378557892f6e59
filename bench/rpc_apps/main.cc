// fixnet-rpc-bench-app: the raw TCP and gRPC applications of `fixnet bench rpc` (see bench_app.h).
#include "bench/rpc_apps/bench_app.h"

using namespace fixnet::bench::rpc_app;

int main(int argc, char** argv) {
  auto port = [](const std::string& arg) { return static_cast<uint16_t>(std::stoul(arg)); };
  const AppKind kinds[] = {
      {"raw-tcp", false, [](const std::string&) { return serve_raw_tcp(); },
       [&](const std::string& arg) { return raw_tcp_caller(port(arg)); }},
      {"grpc", false, [](const std::string&) { return serve_grpc(); },
       [&](const std::string& arg) { return grpc_caller(port(arg)); }},
  };
  return app_main(argc, argv, kinds, "fixnet-rpc-bench-app serve raw-tcp|grpc | call raw-tcp|grpc PORT");
}
