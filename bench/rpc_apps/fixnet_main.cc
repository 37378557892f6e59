// fixnet-rpc-bench-fixnet-app: the fixnet applications of `fixnet bench rpc` (see bench_app.h), apart
// from fixnet-rpc-bench-app because its Echo stubs and gRPC's share their C++ names.
#include "bench/rpc_apps/bench_app.h"

using namespace fixnet::bench::rpc_app;

int main(int argc, char** argv) {
  const AppKind kinds[] = {
      {"fixnet", true, serve_fixnet_stub, fixnet_stub_caller},
      {"fixnet-raw", true, serve_fixnet_raw, fixnet_raw_caller},
  };
  return app_main(argc, argv, kinds,
                  "fixnet-rpc-bench-fixnet-app serve fixnet|fixnet-raw SOCKET | call fixnet|fixnet-raw SOCKET");
}
