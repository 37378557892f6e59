// The marshallers the service generates, compiled as the service compiles them: their wire bytes are
// protobuf's (libprotobuf's DynamicMessage parses what they produce into the same values, and they
// read what libprotobuf serializes), their layouts are what the generated stubs read, and hostile
// layouts and wire bytes are refused with a status, never a crash.
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cstring>

#include "all_types.fixnet.h"
#include "core/error.h"
#include "rpc/marshaller.h"
#include "rpc/schema.h"

namespace fixnet::rpc {
namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;
using fixnet::test::AllTypes;
using fixnet::test::Inner;

const fs::path kSchemas = fs::path(FIXNET_SOURCE_DIR) / "tests/rpc/schemas";
constexpr uint32_t kRoundtrip = 1;  // Types.Roundtrip(AllTypes) returns (AllTypes)

// One compiled marshaller for all tests (compiled once per build tree).
struct Compiled {
  std::unique_ptr<Schema> schema = Schema::parse(kSchemas / "all_types.proto");
  std::shared_ptr<const Marshaller> marshaller = Marshaller::load(
      MarshallerCache(fs::path(FIXNET_TEST_CACHE_DIR) / "rpc-schemas").ensure(*schema), schema->hash());
};
Compiled& compiled() {
  static Compiled c;
  return c;
}

// A heap: the bytes marshal() reads, and where unmarshal() puts a layout.
struct Heap {
  explicit Heap(size_t size) : bytes(size) {}
  std::vector<uint8_t> bytes;
  uint64_t used = 64;  // offset 0 stays unused, like a real heap's first allocation need not be
  uint64_t put(const void* data, uint64_t n) {
    used = (used + 7) & ~uint64_t{7};
    if (n > bytes.size() - used) throw std::runtime_error("test heap too small");
    const uint64_t at = used;
    std::memcpy(bytes.data() + at, data, n);
    used += n;
    return at;
  }
};

struct Unmarshalled {
  int status;
  uint64_t offset = 0, length = 0;
  std::string error;
};

Unmarshalled unmarshal(Heap& heap, const std::string& wire, int reply = 0, uint32_t method = kRoundtrip,
                       const fixnet_rpc_marshaller& code = compiled().marshaller->code()) {
  struct Ctx {
    Heap* heap;
  } ctx{&heap};
  fixnet_rpc_layout_sink sink{&ctx, [](void* c, uint64_t length, uint64_t* offset) -> uint8_t* {
                                Heap& h = *static_cast<Ctx*>(c)->heap;
                                h.used = (h.used + 7) & ~uint64_t{7};
                                if (length > h.bytes.size() - h.used) return nullptr;
                                *offset = h.used;
                                h.used += length;
                                std::memset(h.bytes.data() + *offset, 0, length);
                                return h.bytes.data() + *offset;
                              }};
  Unmarshalled u{};
  char error[200] = {};
  u.status = code.unmarshal(method, reply, reinterpret_cast<const uint8_t*>(wire.data()), wire.size(), &sink, &u.offset,
                            &u.length, error, sizeof error);
  u.error = error;
  return u;
}

struct Marshalled {
  int status;
  std::string wire;
  size_t heap_pieces = 0;
  std::string error;
};

Marshalled marshal(const Heap& heap, uint64_t offset, uint64_t length, uint64_t max_wire = 1 << 20,
                   uint32_t method = kRoundtrip, const fixnet_rpc_marshaller& code = compiled().marshaller->code()) {
  struct Ctx {
    const Heap* heap;
    Marshalled* out;
  };
  Marshalled m{};
  Ctx ctx{&heap, &m};
  fixnet_rpc_wire_sink sink{
      &ctx,
      [](void* c, const uint8_t* bytes, uint64_t n) { static_cast<Ctx*>(c)->out->wire.append(reinterpret_cast<const char*>(bytes), n); },
      [](void* c, uint64_t offset, uint64_t n) {
        auto* x = static_cast<Ctx*>(c);
        x->out->wire.append(reinterpret_cast<const char*>(x->heap->bytes.data() + offset), n);
        ++x->out->heap_pieces;
      }};
  char error[200] = {};
  m.status = code.marshal(method, 0, heap.bytes.data(), heap.bytes.size(), offset, length, max_wire, &sink, error,
                          sizeof error);
  m.error = error;
  return m;
}

// An AllTypes with every field set, through libprotobuf's reflection.
std::unique_ptr<pb::Message> full_message(pb::DynamicMessageFactory& factory) {
  const pb::Descriptor* d = compiled().schema->file()->FindMessageTypeByName("AllTypes");
  std::unique_ptr<pb::Message> m(factory.GetPrototype(d)->New());
  const pb::Reflection* r = m->GetReflection();
  auto f = [&](const char* name) { return d->FindFieldByName(name); };
  r->SetInt32(m.get(), f("i32"), -123456);
  r->SetInt64(m.get(), f("i64"), -(int64_t{1} << 40));
  r->SetUInt32(m.get(), f("u32"), 4000000000u);
  r->SetUInt64(m.get(), f("u64"), ~uint64_t{0} - 5);
  r->SetInt32(m.get(), f("s32"), -77);
  r->SetInt64(m.get(), f("s64"), -(int64_t{1} << 50));
  r->SetUInt32(m.get(), f("f32"), 0xdeadbeef);
  r->SetUInt64(m.get(), f("f64"), 0x0123456789abcdefull);
  r->SetInt32(m.get(), f("sf32"), -9);
  r->SetInt64(m.get(), f("sf64"), -10);
  r->SetBool(m.get(), f("flag"), true);
  r->SetFloat(m.get(), f("ratio"), 0.25f);
  r->SetDouble(m.get(), f("precise"), -1.5e300);
  r->SetEnumValue(m.get(), f("color"), 2);
  r->SetString(m.get(), f("name"), "a name");
  r->SetString(m.get(), f("blob"), std::string("\0\x01\xff bytes", 9));
  pb::Message* inner = r->MutableMessage(m.get(), f("inner"));
  const pb::Descriptor* id = inner->GetDescriptor();
  inner->GetReflection()->SetInt32(inner, id->FindFieldByName("id"), 7);
  inner->GetReflection()->SetString(inner, id->FindFieldByName("label"), "inner");
  pb::Message* child = inner->GetReflection()->AddMessage(inner, id->FindFieldByName("children"));
  child->GetReflection()->SetInt32(child, id->FindFieldByName("id"), 8);
  for (int v : {1, -2, 300000, 0}) r->AddInt32(m.get(), f("numbers"), v);
  for (int64_t v : {int64_t{-1}, int64_t{1} << 60}) r->AddInt64(m.get(), f("signed_numbers"), v);
  for (double v : {0.5, -0.0, 3.0}) r->AddDouble(m.get(), f("doubles"), v);
  for (bool v : {true, false, true}) r->AddBool(m.get(), f("flags"), v);
  for (const char* v : {"x", "", "zz"}) r->AddString(m.get(), f("names"), v);
  r->AddString(m.get(), f("blobs"), std::string(3000, 'b'));
  for (int i = 0; i < 3; ++i) {
    pb::Message* e = r->AddMessage(m.get(), f("inners"));
    e->GetReflection()->SetInt32(e, id->FindFieldByName("id"), 100 + i);
  }
  pb::Message* stamp = r->MutableMessage(m.get(), f("stamp"));
  stamp->GetReflection()->SetUInt64(stamp, stamp->GetDescriptor()->FindFieldByName("seconds"), 1700000000);
  stamp->GetReflection()->SetString(stamp, stamp->GetDescriptor()->FindFieldByName("zone"), "UTC");
  r->AddEnumValue(m.get(), f("colors"), 1);
  r->AddEnumValue(m.get(), f("colors"), 2);
  pb::Message* entry = r->AddMessage(m.get(), f("counts"));
  entry->GetReflection()->SetString(entry, entry->GetDescriptor()->FindFieldByName("key"), "k");
  entry->GetReflection()->SetInt64(entry, entry->GetDescriptor()->FindFieldByName("value"), 42);
  return m;
}

TEST(RpcMarshal, LibprotobufBytesBecomeTheLayoutTheStubsRead) {
  pb::DynamicMessageFactory factory;
  auto message = full_message(factory);
  Heap heap(1 << 20);
  const auto u = unmarshal(heap, message->SerializeAsString());
  ASSERT_EQ(u.status, 0) << u.error;
  ASSERT_EQ(u.length, AllTypes::kLayoutBytes);
  const AllTypes view(heap.bytes.data(), heap.bytes.size(), u.offset, nullptr);
  EXPECT_EQ(view.i32(), -123456);
  EXPECT_EQ(view.i64(), -(int64_t{1} << 40));
  EXPECT_EQ(view.u32(), 4000000000u);
  EXPECT_EQ(view.s32(), -77);
  EXPECT_EQ(view.s64(), -(int64_t{1} << 50));
  EXPECT_EQ(view.f32(), 0xdeadbeefu);
  EXPECT_EQ(view.sf32(), -9);
  EXPECT_TRUE(view.flag());
  EXPECT_EQ(view.ratio(), 0.25f);
  EXPECT_EQ(view.precise(), -1.5e300);
  EXPECT_EQ(view.color(), fixnet::test::COLOR_BLUE);
  EXPECT_EQ(view.name(), "a name");
  EXPECT_EQ(view.blob().size(), 9u);
  ASSERT_TRUE(view.has_inner());
  EXPECT_EQ(view.inner().id(), 7);
  EXPECT_EQ(view.inner().label(), "inner");
  ASSERT_EQ(view.inner().children_size(), 1u);
  EXPECT_EQ(view.inner().children(0).id(), 8);
  ASSERT_EQ(view.numbers().size(), 4u);
  EXPECT_EQ(view.numbers()[1], -2);
  EXPECT_EQ(view.numbers()[2], 300000);
  EXPECT_EQ(view.signed_numbers()[1], int64_t{1} << 60);
  EXPECT_EQ(view.doubles()[2], 3.0);
  ASSERT_EQ(view.flags().size(), 3u);
  EXPECT_FALSE(view.flags()[1]);
  ASSERT_EQ(view.names_size(), 3u);
  EXPECT_EQ(view.names(1), "");
  EXPECT_EQ(view.names(2), "zz");
  EXPECT_EQ(view.blobs(0).size(), 3000u);
  ASSERT_EQ(view.inners_size(), 3u);
  EXPECT_EQ(view.inners(2).id(), 102);
  EXPECT_EQ(view.stamp().zone(), "UTC");
  EXPECT_EQ(view.colors()[1], 2);
  ASSERT_EQ(view.counts_size(), 1u);
  EXPECT_EQ(view.counts(0).key(), "k");
  EXPECT_EQ(view.counts(0).value(), 42);
  EXPECT_THROW(view.names(3), InputError);
}

TEST(RpcMarshal, TheLayoutMarshalsToBytesLibprotobufParsesIntoTheSameValues) {
  pb::DynamicMessageFactory factory;
  auto message = full_message(factory);
  Heap heap(1 << 20);
  const auto u = unmarshal(heap, message->SerializeAsString());
  ASSERT_EQ(u.status, 0) << u.error;
  const auto m = marshal(heap, u.offset, u.length);
  ASSERT_EQ(m.status, 0) << m.error;
  // string and bytes fields are referenced in the heap, not copied into the made bytes.
  EXPECT_GE(m.heap_pieces, 8u);
  std::unique_ptr<pb::Message> parsed(message->New());
  ASSERT_TRUE(parsed->ParseFromString(m.wire));
  EXPECT_TRUE(pb::util::MessageDifferencer::Equals(*message, *parsed))
      << message->DebugString() << "\nvs\n" << parsed->DebugString();
  // An empty message is zero wire bytes, both ways.
  Heap empty(4096);
  const auto e = unmarshal(empty, "");
  ASSERT_EQ(e.status, 0);
  EXPECT_EQ(marshal(empty, e.offset, e.length).wire, "");
}

TEST(RpcMarshal, UnpackedRepeatedScalarsAndUnknownFieldsAreRead) {
  // numbers (18) unpacked: tag 18<<3|0 = 144 1 → varints 5 and 6; an unknown field 99 (varint) skipped.
  const std::string wire("\x90\x01\x05\x90\x01\x06\x98\x06\x07", 9);
  Heap heap(4096);
  const auto u = unmarshal(heap, wire);
  ASSERT_EQ(u.status, 0) << u.error;
  const AllTypes view(heap.bytes.data(), heap.bytes.size(), u.offset, nullptr);
  ASSERT_EQ(view.numbers().size(), 2u);
  EXPECT_EQ(view.numbers()[1], 6);
}

// Layout slots of AllTypes (schema_layout.h): i32 at 0 … name (15) at 112, blob 128, inner 144,
// numbers 160, … names (22) at 224, inners (24) 256.
constexpr uint64_t kName = 112, kInner = 144, kNumbers = 160, kNames = 224, kInners = 256;

constexpr uint64_t kLayoutHeap = 1 << 18;

struct Layout {
  Heap heap{kLayoutHeap};
  std::vector<uint8_t> root = std::vector<uint8_t>(AllTypes::kLayoutBytes);
  void ref(uint64_t slot, uint64_t offset, uint64_t length) {
    std::memcpy(root.data() + slot, &offset, 8);
    std::memcpy(root.data() + slot + 8, &length, 8);
  }
  Marshalled run(uint64_t max_wire = 1 << 20) {
    const uint64_t at = heap.put(root.data(), root.size());
    return marshal(heap, at, root.size(), max_wire);
  }
};

TEST(RpcMarshal, HostileLayoutsAreRefusedWithAStatus) {
  {
    Layout l;  // a string outside the heap
    l.ref(kName, kLayoutHeap - 4, 100);
    const auto m = l.run();
    EXPECT_EQ(m.status, 8);
    EXPECT_NE(m.error.find("outside the heap"), std::string::npos) << m.error;
  }
  {
    Layout l;  // an offset that overflows when the length is added
    l.ref(kName, ~uint64_t{0} - 2, 16);
    EXPECT_EQ(l.run().status, 8);
  }
  {
    Layout l;  // a repeated count whose byte size overflows 64 bits
    l.ref(kNumbers, 64, uint64_t{1} << 62);
    const auto m = l.run();
    EXPECT_EQ(m.status, 8);
    EXPECT_NE(m.error.find("beyond the heap"), std::string::npos) << m.error;
  }
  {
    Layout l;  // a sub-message with a wrong length
    l.ref(kInner, 64, 7);
    EXPECT_EQ(l.run().status, 8);
  }
  {
    // A cycle: Inner.children pointing at the Inner itself — refused by the nesting limit.
    Layout l;
    std::vector<uint8_t> inner(Inner::kLayoutBytes);
    const uint64_t inner_at = l.heap.put(inner.data(), inner.size());
    const uint64_t self[2] = {inner_at, 1};
    std::memcpy(l.heap.bytes.data() + inner_at + 24, self, 16);  // children at slot 24
    l.ref(kInner, inner_at, Inner::kLayoutBytes);
    const auto m = l.run();
    EXPECT_EQ(m.status, 8);
    EXPECT_NE(m.error.find("deeper than 64"), std::string::npos) << m.error;
  }
  {
    // Overlapping references that amplify: 4000 strings all naming the same 4 KiB — refused by size.
    Layout l;
    const std::vector<uint8_t> big(4096, 'x');
    const uint64_t data = l.heap.put(big.data(), big.size());
    std::vector<uint64_t> pairs;
    for (int i = 0; i < 4000; ++i) pairs.insert(pairs.end(), {data, 4096});
    const uint64_t array = l.heap.put(pairs.data(), pairs.size() * 8);
    l.ref(kNames, array, 4000);
    const auto m = l.run(1 << 20);
    EXPECT_EQ(m.status, 3);
    EXPECT_NE(m.error.find("exceed"), std::string::npos) << m.error;
  }
  {
    // Many elements of a repeated message out of the heap's end.
    Layout l;
    l.ref(kInners, kLayoutHeap - 100, 1000);
    EXPECT_EQ(l.run().status, 8);
  }
  // A descriptor length that is not the root type's size, and an unknown method.
  Layout l;
  const uint64_t at = l.heap.put(l.root.data(), l.root.size());
  EXPECT_EQ(marshal(l.heap, at, 16).status, 8);
  EXPECT_EQ(marshal(l.heap, at, l.root.size(), 1 << 20, 99).status, 4);
}

TEST(RpcMarshal, BadWireBytesAreRefusedWithAStatus) {
  Heap heap(1 << 16);
  EXPECT_EQ(unmarshal(heap, "\x78").status, 8);                        // truncated varint… of field 15's key
  EXPECT_EQ(unmarshal(heap, std::string("\x7a\x05" "ab", 4)).status, 8);  // name: length beyond the message
  EXPECT_EQ(unmarshal(heap, std::string("\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 12)).status, 8);
  EXPECT_EQ(unmarshal(heap, std::string("\x7d\x00\x00\x00\x00", 5)).status, 8);  // name with wire type 5
  EXPECT_EQ(unmarshal(heap, std::string("\x00", 1)).status, 8);           // field 0
  EXPECT_EQ(unmarshal(heap, std::string("\x0b", 1)).status, 8);           // a group start
  // Inner nested 100 deep: inner (17) → children (3) → children …
  std::string nested;
  for (int i = 0; i < 100; ++i) nested = std::string("\x1a") + static_cast<char>(nested.size()) + nested;
  nested = nested.substr(0, 120);
  std::string deep;
  for (int i = 0; i < 70; ++i) deep = "\x1a" + std::string(1, static_cast<char>(deep.size())) + deep;
  const std::string wire = "\x8a\x01" + std::string(1, static_cast<char>(deep.size())) + deep;
  const auto u = unmarshal(heap, wire);
  EXPECT_EQ(u.status, 8) << u.error;
  // No room in the destination heap.
  Heap tiny(128);
  EXPECT_EQ(unmarshal(tiny, std::string("\x7a\x02" "ab", 4)).status, 5);
}

// merge.proto's marshaller (sub-messages in sub-messages), compiled as the service compiles it.
struct CompiledMerge {
  std::unique_ptr<Schema> schema = Schema::parse(kSchemas / "merge.proto");
  std::shared_ptr<const Marshaller> marshaller = Marshaller::load(
      MarshallerCache(fs::path(FIXNET_TEST_CACHE_DIR) / "rpc-schemas").ensure(*schema), schema->hash());
  const fixnet_rpc_marshaller& code() const { return marshaller->code(); }
};
CompiledMerge& compiled_merge() {
  static CompiledMerge c;
  return c;
}

std::unique_ptr<pb::Message> text_message(pb::DynamicMessageFactory& factory, const pb::Descriptor* type,
                                          const std::string& text) {
  std::unique_ptr<pb::Message> m(factory.GetPrototype(type)->New());
  if (!pb::TextFormat::ParseFromString(text, m.get())) throw std::runtime_error("bad test message: " + text);
  return m;
}

// Concatenated serializations are one message whose singular sub-messages occur several times:
// libprotobuf merges them (scalars and strings the last, repeated fields concatenated, sub-messages
// recursively), and so must the layout we make of them.
TEST(RpcMarshal, ASubMessageRepeatedOnTheWireIsMergedAsLibprotobufMergesIt) {
  CompiledMerge& c = compiled_merge();
  pb::DynamicMessageFactory factory;
  const pb::Descriptor* top = c.schema->file()->FindMessageTypeByName("Top");
  const std::vector<std::string> parts = {
      R"(mid { leaf { a: 1 s: "one" r: [1, 2] b: "x" } x: 3 leaves { a: 10 } note: "first" }
         name: "first" leaf { a: 5 } tags: "t1")",
      R"(mid { leaf { s: "two" r: [3] } x: 4 leaves { a: 20 } } leaf { s: "leaf" r: [7] } tags: "t2")",
      R"(mid { leaf { a: 6 } } name: "third")",
  };
  std::string wire;
  std::unique_ptr<pb::Message> expected(factory.GetPrototype(top)->New());
  for (const auto& text : parts) {
    const std::string bytes = text_message(factory, top, text)->SerializeAsString();
    ASSERT_TRUE(expected->MergeFromString(bytes));
    wire += bytes;
  }
  Heap heap(1 << 16);
  const auto u = unmarshal(heap, wire, 0, 1, c.code());
  ASSERT_EQ(u.status, 0) << u.error;
  const auto m = marshal(heap, u.offset, u.length, 1 << 20, 1, c.code());
  ASSERT_EQ(m.status, 0) << m.error;
  std::unique_ptr<pb::Message> ours(factory.GetPrototype(top)->New());
  ASSERT_TRUE(ours->ParseFromString(m.wire));
  EXPECT_TRUE(pb::util::MessageDifferencer::Equals(*expected, *ours))
      << "libprotobuf's merge:\n" << expected->DebugString() << "\nours:\n" << ours->DebugString();
  // What the merge means here (so the comparison cannot pass by both keeping only the last part).
  std::unique_ptr<pb::Message> want(factory.GetPrototype(top)->New());
  ASSERT_TRUE(pb::TextFormat::ParseFromString(
      R"(mid { leaf { a: 6 s: "two" r: [1, 2, 3] b: "x" } x: 4 leaves { a: 10 } leaves { a: 20 } note: "first" }
         name: "third" leaf { a: 5 s: "leaf" r: [7] } tags: ["t1", "t2"])",
      want.get()));
  EXPECT_TRUE(pb::util::MessageDifferencer::Equals(*want, *ours)) << ours->DebugString();
}

// proto3 `string` fields are UTF-8: bytes that are not are refused with status 8 in both directions
// (libprotobuf refuses to parse them too); `bytes` fields take anything.
TEST(RpcMarshal, StringsThatAreNotUtf8AreRefusedBothWays) {
  pb::LogSilencer quiet;  // libprotobuf logs each refusal; the assertions say what matters
  pb::DynamicMessageFactory factory;
  const pb::Descriptor* all = compiled().schema->file()->FindMessageTypeByName("AllTypes");
  auto field = [](const std::string& key, const std::string& value) {
    return key + static_cast<char>(value.size()) + value;
  };
  const std::string good = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9d\x84\x9e";
  const std::vector<std::string> bad = {"\xff", "a\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ab\xe2\x82", "\x80"};
  for (const std::string& v : bad) {
    const std::vector<std::string> wires = {
        field("\x7a", v),                           // name (15)
        field("\xb2\x01", v),                       // names (22), repeated
        field("\x8a\x01", field("\x12", v)),        // inner (17) . label (2)
        field("\xda\x01", field("\x0a", v)),        // counts (27): a map's string key
    };
    for (const auto& wire : wires) {
      Heap heap(1 << 16);
      const auto u = unmarshal(heap, wire);
      EXPECT_EQ(u.status, 8) << "wire " << ::testing::PrintToString(wire);
      EXPECT_NE(u.error.find("UTF-8"), std::string::npos) << u.error;
      std::unique_ptr<pb::Message> theirs(factory.GetPrototype(all)->New());
      EXPECT_FALSE(theirs->ParseFromString(wire)) << "libprotobuf took " << ::testing::PrintToString(wire);
    }
    Heap heap(1 << 16);
    EXPECT_EQ(unmarshal(heap, field("\x82\x01", v)).status, 0);  // blob (16): bytes

    Layout l;  // layout → wire: a name that is not UTF-8
    l.ref(kName, l.heap.put(v.data(), v.size()), v.size());
    const auto m = l.run();
    EXPECT_EQ(m.status, 8);
    EXPECT_NE(m.error.find("UTF-8"), std::string::npos) << m.error;
    Layout names;  // … or one element of a repeated string field
    const uint64_t text = names.heap.put(v.data(), v.size());
    const uint64_t pair[4] = {0, 0, text, v.size()};
    names.ref(kNames, names.heap.put(pair, sizeof pair), 2);
    EXPECT_EQ(names.run().status, 8);
  }
  Heap heap(1 << 16);
  const auto u = unmarshal(heap, field("\x7a", good));
  ASSERT_EQ(u.status, 0) << u.error;
  const AllTypes view(heap.bytes.data(), heap.bytes.size(), u.offset, nullptr);
  EXPECT_EQ(view.name(), good);
  Layout l;
  l.ref(kName, l.heap.put(good.data(), good.size()), good.size());
  const auto m = l.run();
  ASSERT_EQ(m.status, 0) << m.error;
  EXPECT_EQ(m.wire, field("\x7a", good));
}

TEST(RpcMarshal, TheStubsCarryTheSchemaHashOfTheParsedFile) {
  // protoc-gen-fixnet (through protoc) and Schema::parse (through libprotoc's Importer) agree.
  EXPECT_EQ(fixnet::test::schema_all_types::kHash, compiled().schema->hash());
  const auto binding = fixnet::test::schema_all_types::binding();
  EXPECT_EQ(binding.canonical, compiled().schema->canonical());
  EXPECT_EQ(AllTypes::kLayoutBytes, 14u * 8 + 13u * 16);
}

}  // namespace
}  // namespace fixnet::rpc
