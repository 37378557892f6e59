#include "rpc/control_protocol.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "rpc/service_name.h"

namespace fixnet::rpc {

namespace {

constexpr uint8_t kMagic[4] = {'F', 'X', 'R', 'P'};
enum class Type : uint16_t { kHello = 1, kWelcome = 2, kRefusal = 3 };
constexpr size_t kHeader = 8;
constexpr size_t kHelloBytes = 56;  // without the schema and service name bytes
constexpr size_t kWelcomeBytes = 48;
constexpr size_t kMaxRefusalText = 200;

// Little-endian writers and readers; the host is little-endian on every platform fixnet builds for,
// but the wire format says so explicitly.
template <typename T>
void put(std::vector<uint8_t>& out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i)));
}

template <typename T>
T get(std::span<const uint8_t> in, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= uint64_t{in[at + i]} << (8 * i);
  return static_cast<T>(v);
}

std::vector<uint8_t> header(Type type) {
  std::vector<uint8_t> out(kMagic, kMagic + 4);
  put<uint16_t>(out, kControlVersion);
  put<uint16_t>(out, static_cast<uint16_t>(type));
  return out;
}

Type check_header(std::span<const uint8_t> packet) {
  if (packet.size() < kHeader || std::memcmp(packet.data(), kMagic, 4) != 0)
    throw InputError("control message does not start with the fixnet RPC magic \"FXRP\"");
  if (get<uint16_t>(packet, 4) != kControlVersion)
    throw InputError("control message speaks protocol version " + std::to_string(get<uint16_t>(packet, 4)) +
                     "; this build speaks " + std::to_string(kControlVersion));
  return static_cast<Type>(get<uint16_t>(packet, 6));
}

void check_size(std::span<const uint8_t> packet, size_t expected, const char* what) {
  if (packet.size() != expected)
    throw InputError(std::string(what) + " has " + std::to_string(packet.size()) + " bytes, expected " +
                     std::to_string(expected));
}

}  // namespace

std::vector<uint8_t> encode(const Hello& hello) {
  auto out = header(Type::kHello);
  put<uint32_t>(out, hello.flags);
  put<uint32_t>(out, static_cast<uint32_t>(hello.schema.size()));
  out.insert(out.end(), hello.schema_hash.begin(), hello.schema_hash.end());
  put<uint16_t>(out, static_cast<uint16_t>(hello.service.size()));
  put<uint16_t>(out, 0);
  put<uint32_t>(out, 0);
  out.insert(out.end(), hello.schema.begin(), hello.schema.end());
  out.insert(out.end(), hello.service.begin(), hello.service.end());
  return out;
}

std::vector<uint8_t> encode(const Welcome& w) {
  auto out = header(Type::kWelcome);
  put<uint64_t>(out, w.connection_id);
  put<uint64_t>(out, w.send_heap_bytes);
  put<uint64_t>(out, w.receive_heap_bytes);
  put<uint32_t>(out, w.queue_slots);
  put<uint32_t>(out, w.max_message_bytes);
  put<uint64_t>(out, 0);
  return out;
}

std::vector<uint8_t> encode(const Refusal& r) {
  auto out = header(Type::kRefusal);
  const std::string text = r.text.substr(0, kMaxRefusalText);
  put<uint16_t>(out, static_cast<uint16_t>(r.reason));
  put<uint16_t>(out, static_cast<uint16_t>(text.size()));
  out.insert(out.end(), text.begin(), text.end());
  return out;
}

Hello decode_hello(std::span<const uint8_t> packet) {
  if (check_header(packet) != Type::kHello) throw InputError("expected a Hello control message");
  if (packet.size() < kHelloBytes) check_size(packet, kHelloBytes, "Hello");
  Hello hello;
  hello.flags = get<uint32_t>(packet, 8);
  const uint64_t schema_bytes = get<uint32_t>(packet, 12);
  const uint64_t service_bytes = get<uint16_t>(packet, 48);
  if (get<uint16_t>(packet, 50) != 0 || get<uint32_t>(packet, 52) != 0) throw InputError("Hello has non-zero reserved bytes");
  check_size(packet, kHelloBytes + schema_bytes + service_bytes, "Hello");
  std::copy(packet.begin() + 16, packet.begin() + 48, hello.schema_hash.begin());
  hello.schema.assign(packet.begin() + kHelloBytes, packet.begin() + kHelloBytes + schema_bytes);
  hello.service.assign(packet.begin() + kHelloBytes + schema_bytes, packet.end());
  check_service_name(hello.service, "Hello");
  if (hello.schema_hash == SchemaHash{} && !hello.schema.empty())
    throw InputError("Hello carries schema bytes but a zero schema hash");
  if (hello.schema_hash != SchemaHash{} && hello.schema.empty())
    throw InputError("Hello carries a schema hash but no schema");
  return hello;
}

std::variant<Welcome, Refusal> decode_reply(std::span<const uint8_t> packet) {
  const Type type = check_header(packet);
  if (type == Type::kWelcome) {
    check_size(packet, kWelcomeBytes, "Welcome");
    return Welcome{get<uint64_t>(packet, 8), get<uint64_t>(packet, 16), get<uint64_t>(packet, 24),
                   get<uint32_t>(packet, 32), get<uint32_t>(packet, 36)};
  }
  if (type == Type::kRefusal) {
    if (packet.size() < kHeader + 4) throw InputError("Refusal control message is truncated");
    const size_t length = get<uint16_t>(packet, 10);
    check_size(packet, kHeader + 4 + length, "Refusal");
    return Refusal{static_cast<RefusalReason>(get<uint16_t>(packet, 8)),
                   std::string(packet.begin() + kHeader + 4, packet.end())};
  }
  throw InputError("expected a Welcome or Refusal control message");
}

}  // namespace fixnet::rpc
