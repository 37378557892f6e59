// Schemas: parsing with libprotoc, method numbering, the schema hash (of the parsed descriptors, not
// of the text), the canonical bytes an application sends, layouts, and the one-line errors for bad
// .proto files.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "rpc/schema.h"
#include "rpc/schema_layout.h"
#include "rpc_test_util.h"

namespace fixnet::rpc {
namespace {

namespace fs = std::filesystem;

const fs::path kSchemas = fs::path(FIXNET_SOURCE_DIR) / "tests/rpc/schemas";
const fs::path kExamples = fs::path(FIXNET_SOURCE_DIR) / "examples/rpc";

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "fixnet-schema-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path_ = pattern;
  }
  ~TempDir() { fs::remove_all(path_); }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }

 private:
  fs::path path_;
};

std::string parse_error(const fs::path& proto) {
  try {
    Schema::parse(proto);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(RpcSchema, MethodsAreNumberedByServiceThenMethodOrder) {
  auto schema = Schema::parse(kSchemas / "all_types.proto");
  ASSERT_EQ(schema->methods().size(), 3u);
  EXPECT_EQ(schema->methods()[0].id, 1u);
  EXPECT_EQ(schema->methods()[0].method->full_name(), "fixnet.test.Types.Roundtrip");
  EXPECT_EQ(schema->methods()[1].method->full_name(), "fixnet.test.Types.Describe");
  EXPECT_EQ(schema->methods()[2].id, 3u);
  EXPECT_EQ(schema->methods()[2].method->full_name(), "fixnet.test.Second.Ping");
  EXPECT_EQ(schema->method(3)->method->name(), "Ping");
  EXPECT_EQ(schema->method(0), nullptr);
  EXPECT_EQ(schema->method(4), nullptr);
}

TEST(RpcSchema, HashIgnoresCommentsAndWhitespaceButNotMeaning) {
  TempDir dir;
  const auto a = dir.write("a.proto", "syntax = \"proto3\";\nmessage M { bytes data = 1; }\nservice S { rpc Call(M) returns (M); }\n");
  const auto b = dir.write("b.proto",
                           "// a comment\nsyntax   =   \"proto3\";\n\n/* more */ message M {\n  bytes data = 1;  // x\n}\n"
                           "service S {\n  rpc Call(M) returns (M);\n}\n");
  const auto renamed = dir.write("c.proto", "syntax = \"proto3\";\nmessage M { bytes payload = 1; }\nservice S { rpc Call(M) returns (M); }\n");
  const auto renumbered = dir.write("d.proto", "syntax = \"proto3\";\nmessage M { bytes data = 2; }\nservice S { rpc Call(M) returns (M); }\n");
  // The file name is part of the descriptor (imports name files), so compare equal names.
  TempDir other;
  const auto b_as_a = other.write("a.proto", testing::read_text(b));
  EXPECT_EQ(Schema::parse(a)->hash(), Schema::parse(b_as_a)->hash());
  TempDir third, fourth;
  const auto c_as_a = third.write("a.proto", testing::read_text(renamed));
  EXPECT_NE(Schema::parse(a)->hash(), Schema::parse(c_as_a)->hash());
  const auto d_as_a = fourth.write("a.proto", testing::read_text(renumbered));
  EXPECT_NE(Schema::parse(a)->hash(), Schema::parse(d_as_a)->hash());
  EXPECT_EQ(Schema::parse(a)->hash_hex().size(), 64u);
  EXPECT_NE(Schema::parse(a)->hash(), SchemaHash{});
}

TEST(RpcSchema, CanonicalBytesRebuildTheSameSchema) {
  auto schema = Schema::parse(kSchemas / "all_types.proto");
  const std::string& bytes = schema->canonical();
  auto again = Schema::from_canonical(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  EXPECT_EQ(again->hash(), schema->hash());
  EXPECT_EQ(again->methods().size(), 3u);
  EXPECT_EQ(again->file()->dependency_count(), 1);
}

TEST(RpcSchema, FromCanonicalRefusesGarbageAndNonCanonicalBytes) {
  const std::vector<uint8_t> garbage{0xff, 0xff, 0xff, 0x01};
  EXPECT_THROW(Schema::from_canonical(garbage), InputError);
  EXPECT_THROW(Schema::from_canonical({}), InputError);
  auto schema = Schema::parse(kExamples / "echo.proto");
  std::string bytes = schema->canonical();
  bytes += std::string("\x0a\x00", 2);  // an extra empty file entry: parses, is not canonical
  EXPECT_THROW(Schema::from_canonical(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())),
               InputError);
  const std::vector<uint8_t> huge(kMaxSchemaBytes + 1, 0);
  EXPECT_THROW(Schema::from_canonical(huge), InputError);
}

TEST(RpcSchema, BadProtoIsOneLineNamingFileLineAndProblem) {
  TempDir dir;
  const auto syntax = dir.write("syntax.proto", "syntax = \"proto3\";\nmessage M {\n  bytes data = ;\n}\n");
  const std::string e = parse_error(syntax);
  EXPECT_NE(e.find("syntax.proto:3:"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  const auto type = dir.write("type.proto", "syntax = \"proto3\";\nmessage M {\n  Missing m = 1;\n}\n");
  EXPECT_NE(parse_error(type).find("type.proto:3:"), std::string::npos) << parse_error(type);
  EXPECT_NE(parse_error(type).find("Missing"), std::string::npos);
  const auto import = dir.write("import.proto", "syntax = \"proto3\";\nimport \"nowhere.proto\";\n");
  EXPECT_NE(parse_error(import).find("nowhere.proto"), std::string::npos) << parse_error(import);
  EXPECT_NE(parse_error(dir.write("p2.proto", "syntax = \"proto2\";\nmessage M { optional int32 a = 1; }\n")).find("proto3"),
            std::string::npos);
  const std::string stream = parse_error(dir.write(
      "stream.proto", "syntax = \"proto3\";\nmessage M {}\nservice S {\n  rpc Watch(M) returns (stream M);\n}\n"));
  EXPECT_NE(stream.find("stream.proto:4:"), std::string::npos) << stream;
  EXPECT_NE(stream.find("unary"), std::string::npos) << stream;
  const std::string oneof =
      parse_error(dir.write("oneof.proto", "syntax = \"proto3\";\nmessage M {\n  oneof o { int32 a = 1; }\n}\n"));
  EXPECT_NE(oneof.find("oneof.proto:3:"), std::string::npos) << oneof;
  EXPECT_NE(parse_error(dir.write("opt.proto", "syntax = \"proto3\";\nmessage M { optional int32 a = 1; }\n")).find("optional"),
            std::string::npos);
  EXPECT_NE(parse_error(dir.write("none.txt", "x")).find("none.txt"), std::string::npos);
  EXPECT_NE(parse_error(dir.write("missing.proto", "")).find("missing.proto"), std::string::npos);
  EXPECT_NE(parse_error("/nonexistent/x.proto").find("no such file"), std::string::npos);
}

TEST(RpcSchema, LayoutSlotsFollowFieldNumbers) {
  auto schema = Schema::parse(kSchemas / "all_types.proto");
  const auto* all = schema->file()->FindMessageTypeByName("AllTypes");
  const MessageLayout layout = layout_of(all);
  ASSERT_EQ(layout.slots.size(), 27u);
  EXPECT_EQ(layout.slots[0].offset, 0u);            // i32
  EXPECT_EQ(layout.slots[14].kind, SlotKind::kBytes);  // name
  EXPECT_EQ(layout.slots[14].offset, 14u * 8);
  EXPECT_EQ(layout.slots[16].kind, SlotKind::kMessage);
  EXPECT_EQ(layout.slots[17].kind, SlotKind::kRepeated);
  EXPECT_EQ(layout.size, 14u * 8 + 13u * 16);
  const auto* empty_inner = schema->file()->FindMessageTypeByName("Inner");
  EXPECT_EQ(layout_of(empty_inner).size, 8u + 16 + 16);
  EXPECT_EQ(element_bytes(all->FindFieldByName("flags")), 1u);
  EXPECT_EQ(element_bytes(all->FindFieldByName("numbers")), 4u);
  EXPECT_EQ(element_bytes(all->FindFieldByName("inners")), 40u);
}

}  // namespace
}  // namespace fixnet::rpc
