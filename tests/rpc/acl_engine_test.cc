// The `acl` policy engine alone (FakeContext, the Echo schema), fed wire payloads shaped as the
// marshalling engine makes them: tags and lengths in private `made` bytes, the `data` value a
// reference into the send heap. What the end-to-end tests (policy_test.cc) cannot see from outside:
// that what goes on to the transport no longer refers to the heap it checked, and what a call costs
// in heap allocations (counted by replacing operator new in this binary).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "fake_context.h"
#include "rpc/engine_plugin.h"
#include "rpc/schema.h"

namespace {
// Allocations made by this thread while `counting` (operator new is replaced for the whole binary;
// it only counts, then mallocs as the default one does).
thread_local bool counting = false;
thread_local uint64_t allocations = 0;
}  // namespace

void* operator new(size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace fixnet::rpc {
namespace {

using testing::FakeContext;
namespace fs = std::filesystem;

constexpr uint32_t kCall = 1;
constexpr size_t kValueBytes = 32;  // as `fixnet bench rpc-policy` sends

struct AclFixture {
  std::unique_ptr<Schema> schema = Schema::parse(fs::path(FIXNET_SOURCE_DIR) / "examples/rpc/echo.proto");
  FakeContext context;
  std::unique_ptr<Engine> engine;
  MessageQueue requests_in, requests_out, replies_in, replies_out;
  EnginePorts ports{&requests_in, &requests_out, &replies_in, &replies_out};

  explicit AclFixture(const std::string& spec = "acl") {
    context.schema_ = schema.get();
    engine = EnginePlugin::resolve(spec)->create(context);
    if (spec.find("acl") != std::string::npos) engine->configure("Call data prefix x");  // as a datapath does
  }
  // EchoRequest{data = the kValueBytes at heap `offset`}, as the marshaller encodes it.
  RpcMessage request(uint64_t call, uint64_t offset) {
    auto wire = std::make_shared<WirePayload>();
    wire->made = {char(1 << 3 | 2), char(kValueBytes)};  // field 1, length-delimited; its length
    wire->pieces = {{false, 0, 2}, {true, offset, kValueBytes}};
    wire->length = 2 + kValueBytes;
    RpcMessage m;
    m.call_id = call;
    m.method = kCall;
    m.kind = Kind::kRequest;
    m.offset = offset;
    m.length = kValueBytes;
    m.wire = std::move(wire);
    return m;
  }
  void put(uint64_t offset, char first) {
    std::memset(context.send.data() + offset, 'a', kValueBytes);
    context.send[offset] = static_cast<uint8_t>(first);
  }
  // The bytes the transport would send for `m`.
  std::string sent(const RpcMessage& m) {
    std::string out;
    for (const auto& p : m.wire->pieces)
      out.append(p.heap ? reinterpret_cast<const char*>(context.send.data()) + p.offset : m.wire->made.data() + p.offset,
                 p.length);
    return out;
  }
};

TEST(RpcAclEngine, SendsTheCopyItCheckedNotTheHeap) {
  AclFixture acl;
  acl.put(0, 'a');
  acl.put(64, 'x');
  acl.requests_in.push_back(acl.request(1, 0));
  acl.requests_in.push_back(acl.request(2, 64));
  acl.engine->do_work(acl.ports);
  ASSERT_EQ(acl.replies_out.size(), 1u);
  EXPECT_EQ(acl.replies_out[0].call_id, 2u);
  EXPECT_EQ(acl.replies_out[0].status, Status::kDenied);
  EXPECT_EQ(acl.replies_out[0].done_offset, 64u) << "the denied call's buffer goes back";
  ASSERT_EQ(acl.requests_out.size(), 1u);
  const RpcMessage& passed = acl.requests_out[0];
  const std::string checked = acl.sent(passed);
  // The application now rewrites the value it was allowed to send into a forbidden one.
  acl.put(0, 'x');
  EXPECT_EQ(acl.sent(passed), checked) << "the transport would send the rewritten heap, not what was checked";
  EXPECT_EQ(checked.substr(2), std::string(kValueBytes, 'a'));
  for (const auto& p : passed.wire->pieces) EXPECT_FALSE(p.heap) << "an inspected value still refers to the heap";
}

// What the calls of allocations_by() look like.
enum class Calls { kPassed, kPassedWithRoom, kDenied };

// Heap allocations by `spec`'s do_work over 1000 calls (after 1000 to warm up), one call per round.
// The queues' own allocations (deque blocks) are part of the count, the same for every engine.
uint64_t allocations_by(const std::string& spec, Calls calls) {
  AclFixture acl(spec);
  acl.put(0, calls == Calls::kDenied ? 'x' : 'a');
  auto take = [](MessageQueue& queue, std::vector<RpcMessage>& into) {
    while (!queue.empty()) into.push_back(std::move(queue.front())), queue.pop_front();
  };
  auto run = [&](bool count) {
    std::vector<RpcMessage> taken;  // by the transport and the frontend (outside the count)
    taken.reserve(2);
    for (int i = 0; i < 1000; ++i) {
      RpcMessage m = acl.request(i, 0);  // the marshaller's work, outside the count
      if (calls == Calls::kPassedWithRoom) const_cast<WirePayload&>(*m.wire).made.reserve(64);
      acl.requests_in.push_back(std::move(m));
      counting = count;
      acl.engine->do_work(acl.ports);
      counting = false;
      take(acl.requests_out, taken);
      take(acl.replies_out, taken);
      taken.clear();
    }
  };
  run(false);
  allocations = 0;
  run(true);
  return allocations;
}

TEST(RpcAclEngine, ChecksACallWithoutHeapAllocations) {
  for (Calls calls : {Calls::kPassed, Calls::kPassedWithRoom, Calls::kDenied}) {
    const uint64_t null = allocations_by("null", calls);  // the queues' own: a deque block now and then
    const uint64_t acl = allocations_by("acl", calls);
    if (calls == Calls::kPassed)  // the pin grows the marshaller's exactly sized private bytes, once
      EXPECT_EQ(acl, null + 1000) << "null: " << null;
    else  // nothing else allocates: not the check, not a denial, not a pin with room
      EXPECT_EQ(acl, null) << "calls " << static_cast<int>(calls);
  }
}

}  // namespace
}  // namespace fixnet::rpc
