// StateWriter / StateReader: the byte layout of an engine's state blob (EngineState::bytes) for
// engines whose state is more than a few counters — the TCP transports carry their socket, call
// tables and partial frames across an upgrade (docs/rpc.md, "Upgrading a transport"). Fields are
// fixed-width, host order (both engines live in one process), lengths before bytes; RpcMessages have
// one layout here for every engine. Header-only: plugins built from engine sources use it too.
//
// The reader treats the blob as untrusted input (a plugin may hand over anything): every read is
// bounds-checked and a short or malformed blob throws InputError naming the engine, so a restore
// fails cleanly (and the upgrade is rolled back) instead of reading past the end.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "rpc/engine.h"

namespace fixnet::rpc {

class StateWriter {
 public:
  template <typename T>
  void put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const size_t at = bytes_.size();
    bytes_.resize(at + sizeof(T));
    std::memcpy(bytes_.data() + at, &value, sizeof(T));
  }
  // A length (u64) then the bytes.
  void put_bytes(std::span<const uint8_t> bytes) {
    put<uint64_t>(bytes.size());
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
  }
  void put_message(const RpcMessage& m) {
    put(m.call_id), put(m.method), put(static_cast<uint16_t>(m.status)), put(m.offset), put(m.length);
    put(m.done_offset), put(static_cast<uint8_t>(m.kind)), put<uint8_t>(m.wire ? 1 : 0);
    if (!m.wire) return;
    put_bytes({reinterpret_cast<const uint8_t*>(m.wire->made.data()), m.wire->made.size()});
    put<uint64_t>(m.wire->pieces.size());
    for (const auto& p : m.wire->pieces) put<uint8_t>(p.heap ? 1 : 0), put(p.offset), put(p.length);
    put(m.wire->length);
  }
  EngineState finish(uint32_t version) && { return {version, std::move(bytes_)}; }

 private:
  std::vector<uint8_t> bytes_;
};

class StateReader {
 public:
  StateReader(const EngineState& state, std::string engine) : bytes_(state.bytes), engine_(std::move(engine)) {}

  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T));
    T value;
    std::memcpy(&value, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  std::span<const uint8_t> get_bytes(uint64_t limit) {
    const uint64_t n = get<uint64_t>();
    if (n > limit) fail("a field of " + std::to_string(n) + " bytes (at most " + std::to_string(limit) + ")");
    need(n);
    auto out = bytes_.subspan(at_, n);
    at_ += n;
    return out;
  }
  // A count of items that each take at least `item_bytes` of what is left (so a bad count cannot
  // make the caller reserve or loop unbounded).
  uint64_t get_count(size_t item_bytes) {
    const uint64_t n = get<uint64_t>();
    if (item_bytes > 0 && n > (bytes_.size() - at_) / item_bytes) fail("a count of " + std::to_string(n));
    return n;
  }
  // `heap_bytes`: the send heap's size, which every offset it names must fit in.
  RpcMessage get_message(uint64_t heap_bytes) {
    RpcMessage m;
    m.call_id = get<uint64_t>(), m.method = get<uint32_t>(), m.status = static_cast<Status>(get<uint16_t>());
    m.offset = get<uint64_t>(), m.length = get<uint64_t>(), m.done_offset = get<uint64_t>();
    m.kind = static_cast<Kind>(get<uint8_t>());
    if (m.offset != kNoOffset && (m.offset > heap_bytes || m.length > heap_bytes - m.offset))
      fail("a message outside the send heap");
    if (get<uint8_t>() == 0) return m;
    auto wire = std::make_shared<WirePayload>();
    const auto made = get_bytes(bytes_.size());
    wire->made.assign(made.begin(), made.end());
    for (uint64_t i = 0, n = get_count(17); i < n; ++i) {
      WirePayload::Piece p{get<uint8_t>() != 0, get<uint64_t>(), get<uint64_t>()};
      const uint64_t within = p.heap ? heap_bytes : wire->made.size();
      if (p.offset > within || p.length > within - p.offset) fail("a wire piece out of its bounds");
      wire->pieces.push_back(p);
    }
    wire->length = get<uint64_t>();
    m.wire = std::move(wire);
    return m;
  }
  void expect_end() const {
    if (at_ != bytes_.size()) fail(std::to_string(bytes_.size() - at_) + " bytes after its end");
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(engine_ + " engine cannot restore its predecessor's state: " + what + " at byte " +
                     std::to_string(at_) + " of " + std::to_string(bytes_.size()));
  }

 private:
  void need(uint64_t n) const {
    if (n > bytes_.size() - at_) fail("it ends early");
  }

  std::span<const uint8_t> bytes_;
  std::string engine_;
  size_t at_ = 0;
};

}  // namespace fixnet::rpc
