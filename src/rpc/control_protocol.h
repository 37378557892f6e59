// The control messages between an application and the RPC service (docs/rpc.md, "Connecting"):
// Hello (app → service), Welcome with five descriptors or Refusal (service → app). Each encodes to
// one SOCK_SEQPACKET packet; decode_* throw InputError naming what is wrong with a packet.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "rpc/descriptor.h"

namespace fixnet::rpc {

// Version 2: the Hello carries the application's schema (hash and canonical descriptor set).
// Version 3: and the name of the service the application calls or serves (rpc/service_name.h).
inline constexpr uint16_t kControlVersion = 3;
inline constexpr size_t kMaxControlBytes = 256;     // Welcome, Refusal
inline constexpr size_t kMaxHelloBytes = 56 + 64 * 1024 + 256;  // the largest schema and service name
inline constexpr size_t kWelcomeFds = 5;  // send heap, receive heap, queues, submission and completion eventfds

inline constexpr uint32_t kHelloServe = 1;  // the application answers remote callers (rpc::Server)

struct Hello {
  uint32_t flags = 0;  // kHelloServe or 0; other bits are refused
  SchemaHash schema_hash{};  // all zero: raw bytes, no schema (then `schema` is empty)
  std::string schema;        // the canonical descriptor set (rpc/schema.h) whose hash schema_hash is
  std::string service;       // the proto service it calls or serves (`hotel.Geo`); empty: any (raw bytes)
};

struct Welcome {
  uint64_t connection_id = 0;
  uint64_t send_heap_bytes = 0;
  uint64_t receive_heap_bytes = 0;
  uint32_t queue_slots = 0;
  uint32_t max_message_bytes = 0;
};

enum class RefusalReason : uint16_t {
  kVersion = 1,
  kUidNotAllowed = 2,
  kServiceFull = 3,
  kMalformedHello = 4,
  kInternal = 5,
  kNotServing = 6,  // a serving application, but the service listens on no TCP address
  kNoRoute = 7,     // a calling application whose service has no route (fixnetd --route) and no --peer
};

struct Refusal {
  RefusalReason reason = RefusalReason::kMalformedHello;
  std::string text;  // at most 200 bytes are sent
};

std::vector<uint8_t> encode(const Hello& hello);
std::vector<uint8_t> encode(const Welcome& welcome);
std::vector<uint8_t> encode(const Refusal& refusal);

// Throw InputError for a wrong magic, version, type or length, saying which.
Hello decode_hello(std::span<const uint8_t> packet);
std::variant<Welcome, Refusal> decode_reply(std::span<const uint8_t> packet);

}  // namespace fixnet::rpc
