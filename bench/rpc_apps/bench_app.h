// The application processes of `fixnet bench rpc` (bench/rpc_bench.cc), run once per process of a
// row — a serving application or a calling one — for each of the systems compared, from two
// executables (both stubs of examples/rpc/echo.proto declare the same C++ names,
// fixnet::examples::echo::EchoRequest…, so one program cannot hold both):
//   fixnet-rpc-bench-app        raw-tcp (our own minimal ping-pong), grpc (gRPC C++, direct or
//                               through nginx sidecars: the same client and server);
//   fixnet-rpc-bench-fixnet-app fixnet (the Echo stubs protoc-gen-fixnet generates: schema Hello,
//                               messages in the send heap, the service's marshalling engine) and
//                               fixnet-raw (rpc::Client / rpc::Server with raw bytes, no schema).
//
// Every server answers every request, whatever its size, with kReplyBytes bytes: latency is 64 B
// request / 8 B reply, rate 32 B requests, goodput large requests; the reply is the same small one.
//
// A calling application connects, makes a few calls (so connection set-up is not measured), prints
// "ready", then obeys commands on stdin, one per line, answering each with one line on stdout:
//   latency SIZE SECONDS         → "latency N ns…"   N calls one at a time, each one's round trip in ns
//   rate SIZE OUTSTANDING SECONDS → "rate CALLS SECONDS"  OUTSTANDING calls kept in flight
//   goodput SIZE SECONDS         → "goodput CALLS SECONDS" calls one at a time (at least one)
//   timeline SIZE OUTSTANDING SECONDS BUCKET_MS → "timeline FAILED N C1 … CN": as rate, the calls
//                                answered per bucket, failed calls counted (fixnet kinds only)
// An error ends the process with "error MESSAGE" on stdout and exit code 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <vector>
#include <string>

namespace fixnet::bench::rpc_app {

inline constexpr size_t kReplyBytes = 8;

// A connection of one calling application, whichever system it calls through.
class Caller {
 public:
  virtual ~Caller() = default;
  // One call of `size` request bytes; returns when its reply (kReplyBytes) arrived. Throws on error.
  virtual void call(size_t size) = 0;
  // Keeps `outstanding` calls of `size` bytes in flight until `seconds` passed, then drains them;
  // returns the calls completed.
  virtual uint64_t pipelined(size_t size, size_t outstanding, double seconds) = 0;
  // Like pipelined, but counts the calls answered in each `bucket` seconds since the start, and
  // counts failed calls in `failed` instead of stopping (`fixnet bench rpc-upgrade`).
  virtual std::vector<uint64_t> timeline(size_t size, size_t outstanding, double seconds, double bucket,
                                         uint64_t& failed) {
    (void)size, (void)outstanding, (void)seconds, (void)bucket, (void)failed;
    throw std::runtime_error("timeline: this kind of caller does not support it");
  }
};

// One system's applications: `serve KIND [ARG]` runs `serve` (it prints "port N" (TCP ones) or
// "ready" once it accepts calls, then serves until killed); `call KIND ARG` obeys the commands above
// through `call(ARG)`. ARG is a TCP port or a fixnetd socket.
struct AppKind {
  std::string name;
  bool serve_takes_arg;
  std::function<int(const std::string& arg)> serve;
  std::function<std::unique_ptr<Caller>(const std::string& arg)> call;
};

// An executable's main: runs the kind its arguments name; prints `usage` for anything else.
int app_main(int argc, char** argv, std::span<const AppKind> kinds, const char* usage);

int serve_raw_tcp();
int serve_grpc();
int serve_fixnet_raw(const std::string& socket);
int serve_fixnet_stub(const std::string& socket);

std::unique_ptr<Caller> raw_tcp_caller(uint16_t port);
std::unique_ptr<Caller> grpc_caller(uint16_t port);
std::unique_ptr<Caller> fixnet_raw_caller(const std::string& socket);
std::unique_ptr<Caller> fixnet_stub_caller(const std::string& socket);

}  // namespace fixnet::bench::rpc_app
