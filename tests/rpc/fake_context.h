// FakeContext: a DatapathContext over private vectors, for running an engine alone (no service, no
// application): the tests put a request's bytes in `send` and read replies from `receive`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "rpc/engine.h"
#include "rpc/schema.h"

namespace fixnet::rpc::testing {

class FakeContext final : public DatapathContext {
 public:
  uint64_t connection_id() const override { return 1; }
  std::span<const uint8_t> request_bytes(uint64_t offset, uint64_t length) override {
    return {send.data() + offset, length};
  }
  std::optional<ReplyBuffer> allocate_reply(uint64_t length) override {
    if (next + length > receive.size()) return std::nullopt;
    ReplyBuffer b{next, {receive.data() + next, length}};
    next += length;
    return b;
  }
  void free_reply(uint64_t) override {}
  std::span<const uint8_t> send_heap() override { return send; }
  std::span<const uint8_t> reply_bytes(uint64_t offset, uint64_t length) override {
    return {receive.data() + offset, length};
  }
  const SchemaHash& schema_hash() const override { return hash; }
  const Schema* schema() const override { return schema_; }
  uint64_t max_message_bytes() const override { return 4096; }
  void watch(int, uint32_t) override {}
  net::Mailbox<HandedPeer>* handed_peers() override { return nullptr; }

  SchemaHash hash{};
  const Schema* schema_ = nullptr;  // an application that speaks a schema: set it (the test owns it)
  std::vector<uint8_t> send = std::vector<uint8_t>(4096, 0);
  std::vector<uint8_t> receive = std::vector<uint8_t>(4096, 0);
  uint64_t next = 0;
};

}  // namespace fixnet::rpc::testing
