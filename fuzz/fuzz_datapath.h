// What the RPC fuzz targets share: a DatapathContext over plain vectors (a send heap the input fills,
// a receive heap with a bump allocator and a size the input picks), with the tests' schema
// (tests/rpc/schemas/all_types.proto: methods 1 Roundtrip, 2 Describe, 3 Ping), and a policy engine
// made the way the service makes one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "rpc/engine.h"
#include "rpc/engine_plugin.h"
#include "rpc/schema.h"

namespace fixnet::fuzz {

inline const rpc::Schema& all_types_schema() {
  static const std::unique_ptr<rpc::Schema> schema =
      rpc::Schema::parse(FIXNET_SOURCE_DIR "/tests/rpc/schemas/all_types.proto");
  return *schema;
}

class FuzzDatapath final : public rpc::DatapathContext {
 public:
  explicit FuzzDatapath(const rpc::Schema* schema, size_t receive_heap_bytes = 1 << 16)
      : schema_(schema), receive_(receive_heap_bytes) {
    if (schema) hash_ = schema->hash();
  }

  std::vector<uint8_t>& send() { return send_; }
  std::span<const uint8_t> receive_heap() const { return receive_; }

  uint64_t connection_id() const override { return 1; }
  std::span<const uint8_t> request_bytes(uint64_t offset, uint64_t length) override {
    return checked(send_, offset, length);
  }
  std::span<const uint8_t> send_heap() override { return send_; }
  std::span<const uint8_t> reply_bytes(uint64_t offset, uint64_t length) override {
    return checked(receive_, offset, length);
  }
  const rpc::SchemaHash& schema_hash() const override { return hash_; }
  const rpc::Schema* schema() const override { return schema_; }
  std::optional<rpc::ReplyBuffer> allocate_reply(uint64_t length) override {
    used_ = (used_ + 7) & ~uint64_t{7};
    if (used_ > receive_.size() || length > receive_.size() - used_) return std::nullopt;
    rpc::ReplyBuffer buffer{used_, std::span(receive_).subspan(used_, length)};
    used_ += length;
    return buffer;
  }
  void free_reply(uint64_t) override {}
  uint64_t max_message_bytes() const override { return 1 << 16; }
  void watch(int, uint32_t) override {}
  net::Mailbox<rpc::HandedPeer>* handed_peers() override { return nullptr; }

 private:
  // A range outside the heap is a bug of the code under test: trap, as ASan would.
  static std::span<const uint8_t> checked(const std::vector<uint8_t>& heap, uint64_t offset, uint64_t length) {
    if (offset > heap.size() || length > heap.size() - offset) __builtin_trap();
    return std::span(heap).subspan(offset, length);
  }

  const rpc::Schema* schema_;
  rpc::SchemaHash hash_{};
  std::vector<uint8_t> send_;
  std::vector<uint8_t> receive_;
  uint64_t used_ = 0;
};

// A new engine of a built-in policy on `context` (as Datapath::insert_policy makes it, before configure).
inline std::unique_ptr<rpc::Engine> make_engine(const fixnet_rpc_engine_plugin* plugin, FuzzDatapath& context) {
  return std::unique_ptr<rpc::Engine>(plugin->create(&context, ""));
}

}  // namespace fixnet::fuzz
