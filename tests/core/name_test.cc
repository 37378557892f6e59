// Names: layout version 1 and the test vectors of docs/format.md, which this file must match.
#include "core/name.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace fixnet {
namespace {

Name tree(std::vector<Name> entries) { return Name::tree_name(entries); }

struct Vector {
  const char* what;
  Name name;
  const char* hex;
};

Name application_vector() {
  return tree({Name::blob_name(std::string(16, '\0')), Name::blob_name("fixnet-native:add"),
               Name::blob_name("\x01"), Name::blob_name("\x02")})
      .application();
}

std::vector<Vector> vectors() {
  const Name hello = Name::blob_name("hello");
  const Name app = application_vector();
  return {
      {"blob \"\"", Name::blob_name(""), "0000000000000000000000000000000000000000000000000000000000002002"},
      {"blob hello", hello, "68656c6c6f000000000000000000000000000000000000000000000000002502"},
      {"blob 30 x a", Name::blob_name(std::string(30, 'a')), "6161616161616161616161616161616161616161616161616161616161613e02"},
      {"blob 31 x a", Name::blob_name(std::string(31, 'a')), "61c60b487d1a921e0bcc9bf853dda0fb159b30bf57b2e2d21f00000000002001"},
      {"blob 1024 x a", Name::blob_name(std::string(1024, 'a')), "2edc986847e209b4016e141a6dc8716d3207350f416969380004000000002001"},
      {"tree []", tree({}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c0000000000002005"},
      {"tree [hello]", tree({hello}), "5d4bfb4698782889732bd5743691aa9862ba8f33deaf56540100000000002005"},
      {"application", app, "ea2c4dfb4845c2db06f2e951cf30f05ad0b3bda3d0f70062040000000000200d"},
      {"identification(hello)", hello.identification(), "68656c6c6f000000000000000000000000000000000000000000000000002512"},
      {"selection", tree({tree({hello}), Name::blob_name(std::string(8, '\0'))}).selection(),
       "d440204ed83c54966ba58eaccfd5932688582ada87d4d622020000000000201d"},
      {"strict(application)", app.strict(), "ea2c4dfb4845c2db06f2e951cf30f05ad0b3bda3d0f70062040000000000202d"},
      {"shallow(application)", app.shallow(), "ea2c4dfb4845c2db06f2e951cf30f05ad0b3bda3d0f70062040000000000204d"},
      {"ref(blob 1024 x a)", Name::blob_name(std::string(1024, 'a')).as_ref(),
       "2edc986847e209b4016e141a6dc8716d3207350f416969380004000000002081"},
      {"local(blob, 42, 100)", Name::local(Content::Blob, 42, 100),
       "2a00000000000000000000000000000000000000000000006400000000002003"},
  };
}

TEST(Name, FormatTestVectors) {
  for (const Vector& v : vectors()) {
    EXPECT_EQ(v.name.hex(), v.hex) << v.what;
    EXPECT_EQ(Name::from_hex(v.hex), v.name) << v.what;  // parses back, and validates
  }
}

TEST(Name, CanonicalHashIsSha256Prefix) {
  std::string bytes(1000, 'z');
  auto digest = sha256(bytes);
  Name n = Name::blob_name(bytes);
  EXPECT_EQ(std::memcmp(n.bytes().data(), digest.data(), 24), 0);
  EXPECT_EQ(n.size(), 1000u);
  EXPECT_EQ(n.how(), How::Canonical);
}

TEST(Name, LiteralsUpTo30Bytes) {
  for (size_t len = 0; len <= 31; ++len) {
    Name n = Name::blob_name(std::string(len, 'q'));
    EXPECT_EQ(n.is_literal(), len <= 30) << len;
    EXPECT_EQ(n.size(), len);
    if (n.is_literal()) {
      EXPECT_EQ(n.literal_bytes(), std::string(len, 'q'));
    }
  }
}

// Equality compares all 32 bytes (as words): a difference in any one byte makes Names differ.
TEST(Name, EqualityComparesEveryByte) {
  const Name base = Name::blob_name(std::string(100, 'x'));
  for (size_t i = 0; i < 32; ++i) {
    std::array<uint8_t, 32> bytes = base.bytes();
    bytes[i] ^= 0x01;
    Name other;
    std::memcpy(&other, bytes.data(), 32);
    EXPECT_FALSE(other == base) << "byte " << i;
    EXPECT_TRUE(other != base) << "byte " << i;
  }
  EXPECT_EQ(Name::blob_name(std::string(100, 'x')), base);
  EXPECT_EQ(Name::literal("ab").size(), 2u);
  EXPECT_EQ(Name::blob_name(std::string(0x123456, 'y')).size(), 0x123456u);
}

TEST(Name, KindsAndRoles) {
  Name t = tree({Name::blob_name("a"), Name::blob_name("b")});
  EXPECT_EQ(t.kind(), Kind::Tree);
  EXPECT_EQ(t.application().kind(), Kind::Application);
  EXPECT_EQ(t.selection().kind(), Kind::Selection);
  EXPECT_EQ(t.identification().kind(), Kind::Identification);
  EXPECT_EQ(t.application().strict().kind(), Kind::Strict);
  EXPECT_EQ(t.application().shallow().kind(), Kind::Shallow);
  EXPECT_EQ(t.application().strict().thunk(), t.application());
  EXPECT_EQ(t.application().strict().content_name(), t);
  EXPECT_TRUE(t.as_ref().is_ref());
  EXPECT_EQ(t.as_ref().unref(), t);
  EXPECT_EQ(t.application().size(), 2u);
  // Blob and Tree with the same canonical bytes are different Names.
  Name blob_of_tree_bytes = Name::blob_name(std::string(64, '\0'));
  Name tree_of_zero_names = Name::tree_name(std::vector<Name>(2));
  EXPECT_NE(blob_of_tree_bytes, tree_of_zero_names);
}

TEST(Name, RolesThatMeanNothingAreRejected) {
  Name b = Name::blob_name(std::string(40, 'x'));
  EXPECT_THROW(b.application(), InputError);
  EXPECT_THROW(b.selection(), InputError);
  EXPECT_THROW(b.strict(), InputError);
  EXPECT_THROW(b.identification().as_ref(), InputError);
  EXPECT_THROW(tree({}).selection(), InputError);  // needs 2 or 3 entries
}

TEST(Name, MalformedBytesAreRejectedWithTheInputNamed) {
  auto bad = [](std::string hex) {
    try {
      Name::from_hex(hex);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  std::string good = "68656c6c6f000000000000000000000000000000000000000000000000002502";
  EXPECT_NE(bad(good.substr(0, 63)).find("64 hex digits"), std::string::npos);
  EXPECT_NE(bad(std::string(64, 'g')).find("hex digits"), std::string::npos);
  // Input echoed in a message stays on one line and is cut short.
  const std::string hostile = bad(std::string(30, '\n') + std::string(5000, 'z'));
  EXPECT_EQ(hostile.find('\n'), std::string::npos) << hostile;
  EXPECT_LT(hostile.size(), 300u) << hostile;
  EXPECT_NE(bad(std::string(64, '0')).find("null"), std::string::npos);
  std::string v2 = good;
  v2[60] = '4';  // layout version 2
  EXPECT_NE(bad(v2).find("layout version"), std::string::npos);
  std::string padding = good;
  padding[20] = '1';  // non-zero literal padding: would make two Names for one Blob
  EXPECT_NE(bad(padding).find("padding"), std::string::npos);
  std::string literal_tree = good;
  literal_tree[63] = '6';  // literal + Tree
  EXPECT_NE(bad(literal_tree).find("literal"), std::string::npos);
  std::string ref_thunk = "68656c6c6f000000000000000000000000000000000000000000000000002592";
  EXPECT_NE(bad(ref_thunk).find("Ref"), std::string::npos);
}

TEST(Name, FromBytesChecksLength) {
  std::vector<uint8_t> short_bytes(31);
  EXPECT_THROW(Name::from_bytes(short_bytes, "test"), InputError);
}

TEST(Name, LocalNames) {
  Name n = Name::local(Content::Tree, 0xabcdef, 7);
  EXPECT_EQ(n.how(), How::Local);
  EXPECT_EQ(n.local_id(), 0xabcdefu);
  EXPECT_EQ(n.size(), 7u);
  EXPECT_EQ(n.kind(), Kind::Tree);
}

}  // namespace
}  // namespace fixnet
