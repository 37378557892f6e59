// The descriptor validator, the control messages, engine plugins and engine state, without a
// service process.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/error.h"
#include "rpc/compile_admission.h"
#include "rpc/control_protocol.h"
#include "rpc/service_name.h"
#include "rpc/descriptor.h"
#include "rpc/engine_plugin.h"
#include "fake_context.h"

namespace fixnet::rpc {
namespace {

using testing::FakeContext;

constexpr DescriptorLimits kLimits{1 << 20, 1 << 20, 1 << 16};

Descriptor request(uint64_t offset, uint64_t length) {
  Descriptor d;
  d.kind = Kind::kRequest;
  d.method = 1;
  d.call_id = 9;
  d.offset = offset;
  d.length = length;
  return d;
}

TEST(Validate, AcceptsRequestsInsideTheHeap) {
  EXPECT_EQ(validate_descriptor(request(0, 100), kLimits), Status::kOk);
  EXPECT_EQ(validate_descriptor(request((1 << 20) - 64, 64), kLimits), Status::kOk);
  EXPECT_EQ(validate_descriptor(request(1 << 20, 0), kLimits), Status::kOk);
}

TEST(Validate, RefusesRangesOutsideTheHeapWithoutOverflow) {
  EXPECT_EQ(validate_descriptor(request((1 << 20) - 63, 64), kLimits), Status::kOutOfBounds);
  EXPECT_EQ(validate_descriptor(request((1 << 20) + 1, 0), kLimits), Status::kOutOfBounds);
  EXPECT_EQ(validate_descriptor(request(~uint64_t{0} - 10, 100), kLimits), Status::kOutOfBounds);
  EXPECT_EQ(validate_descriptor(request(64, ~uint64_t{0}), kLimits), Status::kTooLarge);
  EXPECT_EQ(validate_descriptor(request(0, (1 << 16) + 1), kLimits), Status::kTooLarge);
}

TEST(Validate, RefusesUnknownVersionKindAndNonZeroReservedFields) {
  Descriptor d = request(0, 8);
  d.version = 2;
  EXPECT_EQ(validate_descriptor(d, kLimits), Status::kBadDescriptor);
  d = request(0, 8);
  d.kind = Kind::kReply;  // only the service posts replies
  EXPECT_EQ(validate_descriptor(d, kLimits), Status::kBadDescriptor);
  d.kind = static_cast<Kind>(77);
  EXPECT_EQ(validate_descriptor(d, kLimits), Status::kBadDescriptor);
  d = request(0, 8);
  d.reserved[23] = 1;
  EXPECT_EQ(validate_descriptor(d, kLimits), Status::kBadDescriptor);
  d = request(0, 8);
  d.done_offset = 64;
  EXPECT_EQ(validate_descriptor(d, kLimits), Status::kBadDescriptor);
  d = request(0, 8);
  d.status = Status::kTooLarge;
  EXPECT_EQ(validate_descriptor(d, kLimits), Status::kBadDescriptor);
}

// A serving application's Reply may fail its call with an application status (64…127), never with
// one of the service's own, and an application's Request carries no status at all.
TEST(Validate, OnlyAServingReplyCarriesAStatusAndOnlyAnApplicationOne) {
  DescriptorLimits serving = kLimits;
  serving.serving = true;
  Descriptor d = request(0, 8);
  d.kind = Kind::kReply;
  for (uint16_t status : {64, 70, 127}) {
    d.status = static_cast<Status>(status);
    EXPECT_EQ(validate_descriptor(d, serving), Status::kOk) << status;
  }
  for (uint16_t status : {1, 6, 8, 63, 128, 65535}) {
    d.status = static_cast<Status>(status);
    EXPECT_EQ(validate_descriptor(d, serving), Status::kBadDescriptor) << status;
  }
  d = request(0, 8);
  d.status = Status::kNotFound;
  EXPECT_EQ(validate_descriptor(d, kLimits), Status::kBadDescriptor);
  EXPECT_EQ(status_text(Status::kNotFound), "not found");
  EXPECT_EQ(status_text(static_cast<Status>(100)), "the serving application failed the call");
}

TEST(CompileAdmission, BoundsDistinctSchemasPerUidPerMinuteAndTheQueue) {
  CompileAdmission admission({2, 3});
  const auto t0 = CompileAdmission::Clock::now();
  EXPECT_FALSE(admission.admit(1000, "a", 0, t0));
  EXPECT_FALSE(admission.admit(1000, "b", 1, t0));
  EXPECT_FALSE(admission.admit(1000, "a", 1, t0));  // counted already: no more cost
  const auto third = admission.admit(1000, "c", 1, t0 + std::chrono::seconds(59));
  ASSERT_TRUE(third);
  EXPECT_NE(third->find("uid 1000"), std::string::npos) << *third;
  EXPECT_NE(third->find("fixnet rpc register FILE.proto"), std::string::npos) << *third;
  EXPECT_LT(third->size(), 200u);  // it fits a Refusal
  EXPECT_FALSE(admission.admit(1001, "c", 1, t0));  // another uid has its own allowance
  EXPECT_FALSE(admission.admit(1000, "c", 1, t0 + std::chrono::seconds(60)));  // a minute later
  const auto full = admission.admit(1002, "d", 3, t0);
  ASSERT_TRUE(full);
  EXPECT_NE(full->find("3 uncached schemas already wait"), std::string::npos) << *full;
  EXPECT_FALSE(admission.admit(1002, "d", 2, t0));  // the refusal did not count against the uid
}

TEST(Validate, ReleasesMustPointIntoTheReceiveHeap) {
  Descriptor d;
  d.kind = Kind::kRelease;
  d.offset = 64;
  EXPECT_EQ(validate_descriptor(d, kLimits), Status::kOk);
  d.offset = 1 << 20;
  EXPECT_EQ(validate_descriptor(d, kLimits), Status::kOutOfBounds);
}

TEST(ControlProtocol, RoundTripsAndRefusesMalformedPackets) {
  const Welcome w{7, 1 << 20, 2 << 20, 256, 4096};
  auto decoded = std::get<Welcome>(decode_reply(encode(w)));
  EXPECT_EQ(decoded.connection_id, 7u);
  EXPECT_EQ(decoded.receive_heap_bytes, 2u << 20);
  EXPECT_EQ(decoded.queue_slots, 256u);
  auto refusal = std::get<Refusal>(decode_reply(encode(Refusal{RefusalReason::kUidNotAllowed, "no"})));
  EXPECT_EQ(refusal.reason, RefusalReason::kUidNotAllowed);
  EXPECT_EQ(refusal.text, "no");
  EXPECT_NO_THROW(decode_hello(encode(Hello{})));

  auto hello = encode(Hello{});
  EXPECT_THROW(decode_hello(std::span(hello).first(10)), InputError);
  hello[0] = 'X';
  EXPECT_THROW(decode_hello(hello), InputError);
  hello = encode(Hello{});
  hello[4] = 9;  // version 9
  EXPECT_THROW(decode_hello(hello), InputError);
  EXPECT_THROW(decode_reply(encode(Hello{})), InputError);
  // Version 3: the service name the application calls or serves, after the schema.
  Hello named{kHelloServe, {}, {}, "fixnet.examples.hotel.Geo"};
  EXPECT_EQ(decode_hello(encode(named)).service, "fixnet.examples.hotel.Geo");
  named.service = "not a name";
  EXPECT_THROW(decode_hello(encode(named)), InputError);
  named.service = std::string(kMaxServiceName + 1, 'a');
  EXPECT_THROW(decode_hello(encode(named)), InputError);
  hello = encode(Hello{});
  hello[52] = 1;  // reserved
  EXPECT_THROW(decode_hello(hello), InputError);
  auto truncated = encode(Refusal{RefusalReason::kVersion, "long text"});
  truncated.pop_back();
  EXPECT_THROW(decode_reply(truncated), InputError);
}

size_t run_echo(Engine& engine, std::vector<RpcMessage> requests, MessageQueue& replies) {
  MessageQueue in(requests.begin(), requests.end());
  EnginePorts ports{&in, nullptr, nullptr, &replies};
  return engine.do_work(ports);
}

TEST(EchoEngine, EchoesMethodOneAndRefusesOthers) {
  FakeContext context;
  std::memcpy(context.send.data() + 128, "hello", 5);
  auto engine = EnginePlugin::resolve("echo")->create(context);
  MessageQueue replies;
  EXPECT_EQ(run_echo(*engine, {{1, 1, Status::kOk, 128, 5, kNoOffset}, {2, 5, Status::kOk, 0, 1, kNoOffset}}, replies), 2u);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].status, Status::kOk);
  EXPECT_EQ(replies[0].done_offset, 128u);
  EXPECT_EQ(std::memcmp(context.receive.data() + replies[0].offset, "hello", 5), 0);
  EXPECT_EQ(replies[1].status, Status::kUnknownMethod);
  // A reply that does not fit the receive heap is an error, not a crash.
  EXPECT_EQ(run_echo(*engine, {{3, 1, Status::kOk, 0, 4095, kNoOffset}}, replies), 1u);
  EXPECT_EQ(replies[2].status, Status::kNoReceiveSpace);
}

TEST(EchoEngine, StateSurvivesDecomposeAndRestoreAndRefusesOtherVersions) {
  FakeContext context;
  auto plugin = EnginePlugin::resolve("echo");
  auto old_engine = plugin->create(context);
  MessageQueue replies;
  run_echo(*old_engine, {{1, 1, Status::kOk, 0, 8, kNoOffset}, {2, 9, Status::kOk, 0, 8, kNoOffset}}, replies);
  const EngineState state = old_engine->decompose();
  auto successor = plugin->create(context);
  successor->restore(state);
  EXPECT_EQ(successor->decompose().bytes, state.bytes);
  EXPECT_THROW(successor->restore(EngineState{2, state.bytes}), InputError);
  EXPECT_THROW(successor->restore(EngineState{1, {1, 2, 3}}), InputError);
}

TEST(EnginePlugin, LoadsTheEchoPluginFromASharedObject) {
  auto plugin = EnginePlugin::resolve(ECHO_PLUGIN);
  EXPECT_EQ(plugin->name(), "echo");
  FakeContext context;
  std::memcpy(context.send.data(), "plug", 4);
  auto engine = plugin->create(context);
  MessageQueue replies;
  run_echo(*engine, {{1, 1, Status::kOk, 0, 4, kNoOffset}}, replies);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(std::memcmp(context.receive.data() + replies[0].offset, "plug", 4), 0);
}

void expect_refusal(const std::string& spec, const std::string& says) {
  try {
    EnginePlugin::resolve(spec);
    ADD_FAILURE() << spec << " was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
  }
}

TEST(EnginePlugin, RefusesWrongAbiMissingEntryMissingFileAndUnknownNames) {
  expect_refusal(WRONG_ABI_PLUGIN, "built for engine ABI version " + std::to_string(FIXNET_RPC_ENGINE_ABI_VERSION + 1) +
                                       ", this service speaks " + std::to_string(FIXNET_RPC_ENGINE_ABI_VERSION));
  expect_refusal(NO_ENTRY_PLUGIN, "has no entry point fixnet_rpc_engine_plugin_entry()");
  expect_refusal("/nonexistent/engine.so", "does not load");
  expect_refusal("carrier-pigeon", "no built-in engine named 'carrier-pigeon'");
}

}  // namespace
}  // namespace fixnet::rpc
