// The systems `fixnet bench rpc` compares, each started as the real processes of one row, in a
// directory of its own (sockets, logs, nginx's configuration and temp files):
//   raw_tcp:    our minimal ping-pong server and client (bench/rpc_apps/raw_tcp.cc);
//   grpc:       gRPC C++ server and client (bench/rpc_apps/grpc_echo.cc);
//   grpc_nginx: the same, through two nginx sidecars (grpc_pass, HTTP/2 on loopback):
//               client → nginx A → nginx B → server, standing in for Envoy;
//   fixnet:     client app → fixnetd A ─TCP─► fixnetd B → server app, the apps on the Echo stubs
//               protoc-gen-fixnet generates from examples/rpc/echo.proto (so with each fixnetd's
//               marshalling engine), as a real application;
//   fixnet_raw: the same with rpc::Client / rpc::Server and raw bytes (no schema, no marshalling);
//   grpc_interop: grpc's libgrpc++ client → fixnetd --grpc-listen → the fixnet row's Echo-stub server
//               (gRPC interop: an ordinary gRPC client calling a fixnet application).
// The calling process is always the last of a row's processes.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/child_process.h"

namespace fixnet::bench {

// Issue 5's rate configuration, shared by the rpc, rpc-policy and rpc-upgrade benchmarks: 32 B
// requests with 128 calls in flight per client thread.
constexpr size_t kRateBytes = 32;
constexpr size_t kOutstanding = 128;

struct RpcSystem {
  std::string key;
  std::vector<std::unique_ptr<ChildProcess>> processes;

  ChildProcess& caller() { return *processes.back(); }
  double cpu_seconds() const;  // of all the row's processes
};

// Each throws EnvironmentError naming the process that did not start (with its log).
std::unique_ptr<RpcSystem> start_raw_tcp(const std::filesystem::path& dir);
std::unique_ptr<RpcSystem> start_grpc(const std::filesystem::path& dir);
std::unique_ptr<RpcSystem> start_grpc_interop(const std::filesystem::path& dir);
// `policy`: nginx directives enforcing a policy at the client's sidecar (nginx A): `http` goes in
// its http block, `location` in its location (rpc-policy's rows).
struct NginxPolicy {
  std::string key = "grpc_nginx";
  std::string http, location;
};
std::unique_ptr<RpcSystem> start_grpc_nginx(const std::filesystem::path& dir, const std::filesystem::path& nginx,
                                            const NginxPolicy& policy = {});
std::unique_ptr<RpcSystem> start_fixnet(const std::filesystem::path& dir);
std::unique_ptr<RpcSystem> start_fixnet_raw(const std::filesystem::path& dir);
// The operator socket of start_fixnet's fixnetd A (the calling application's service), for live edits.
std::filesystem::path fixnet_caller_operator_socket(const std::filesystem::path& dir);

// A program (nginx, sockperf) from $PATH, /usr/sbin or /sbin; empty when there is none.
std::filesystem::path find_program(const std::string& name);

}  // namespace fixnet::bench
