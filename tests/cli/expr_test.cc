// The expression parser of `fixnet eval`, against an in-memory store: every form, every error
// (with its column), and hostile input.
#include "cli/lib/expr.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "core/error.h"
#include "core/memory_store.h"
#include "core/procedure.h"

namespace fixnet::cli {
namespace {

using ::testing::HasSubstr;

class ExprTest : public ::testing::Test {
 protected:
  ExprTest()
      : context_{
            .store = store_,
            .resolve_name =
                [this](std::string_view text) {
                  resolved_.emplace_back(text);
                  for (const auto& [hex, name] : names_)
                    if (hex.starts_with(text)) return name;
                  throw InputError(std::string("no object known by '") + std::string(text) + "'");
                },
            .resolve_label =
                [this](std::string_view label) {
                  auto it = labels_.find(std::string(label));
                  if (it == labels_.end())
                    throw InputError("no label '" + std::string(label) + "'");
                  return it->second;
                },
            .add_path =
                [this](const std::string& path) {
                  added_.push_back(path);
                  return store_.put_blob("contents of " + path);
                },
        } {}

  Name parse(std::string_view text) { return parse_expression(text, context_); }

  // The message of the InputError parsing `text` throws ("" if it parses).
  std::string error(std::string_view text) {
    try {
      parse(text);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }

  Name blob(std::string_view bytes) { return Name::blob_name(bytes); }
  std::vector<Name> entries(Name tree) { return *store_.get_tree(tree); }

  MemoryStore store_;
  std::map<std::string, Name> names_;
  std::map<std::string, Name> labels_;
  std::vector<std::string> resolved_;
  std::vector<std::string> added_;
  ExprContext context_;
};

TEST_F(ExprTest, StringIsABlobOfItsBytes) {
  EXPECT_EQ(parse("\"hello\""), blob("hello"));
  EXPECT_EQ(parse("  \"\"  "), blob(""));
}

TEST_F(ExprTest, StringEscapes) {
  EXPECT_EQ(parse(R"("a\nb\tc\\d\"e\x00\xff\r\0")"),
            blob(std::string("a\nb\tc\\d\"e\0\xff\r\0", 13)));
}

TEST_F(ExprTest, LongStringIsStoredCanonically) {
  const std::string text(100, 'z');
  Name n = parse("\"" + text + "\"");
  EXPECT_FALSE(n.is_literal());
  EXPECT_EQ(*store_.get_blob(n), text);
}

TEST_F(ExprTest, HexBlob) {
  EXPECT_EQ(parse("x:0a0bff"), blob("\x0a\x0b\xff"));
  EXPECT_EQ(parse("x:0A0BFF"), blob("\x0a\x0b\xff"));
  EXPECT_EQ(parse("x:"), blob(""));
}

TEST_F(ExprTest, Integers) {
  EXPECT_EQ(parse("u8:1"), blob("\x01"));
  EXPECT_EQ(parse("u8:255"), blob("\xff"));
  EXPECT_EQ(parse("u16:258"), blob("\x02\x01"));
  EXPECT_EQ(parse("u32:0x01020304"), blob("\x04\x03\x02\x01"));
  EXPECT_EQ(parse("u64:1"), blob(std::string("\x01\0\0\0\0\0\0\0", 8)));
  EXPECT_EQ(parse("u64:18446744073709551615"), blob(std::string(8, '\xff')));
}

TEST_F(ExprTest, IntegerRangeErrors) {
  EXPECT_EQ(error("u8:256"), "expression 'u8:256' column 4: u8 256 is out of range (at most 255)");
  EXPECT_THAT(error("u16:65536"), HasSubstr("column 5: u16 65536 is out of range"));
  EXPECT_THAT(error("u32:4294967296"), HasSubstr("out of range"));
  EXPECT_THAT(error("u64:18446744073709551616"), HasSubstr("column 5: u64"));
  EXPECT_EQ(error("u8:-1"),
            "expression 'u8:-1' column 4: expected u8 (a decimal or 0x-hex number), "
            "found '-'");
  EXPECT_THAT(error("u8:"), HasSubstr("column 4: expected u8"));
}

TEST_F(ExprTest, FileUsesTheAddCallback) {
  EXPECT_EQ(parse("file:notes.txt"), blob("contents of notes.txt"));
  EXPECT_EQ(
      parse("[file:a/b, file:\"with space\"]"),
      Name::tree_name(std::vector<Name>{blob("contents of a/b"), blob("contents of with space")}));
  EXPECT_EQ(added_, (std::vector<std::string>{"notes.txt", "a/b", "with space"}));
}

TEST_F(ExprTest, FileErrors) {
  EXPECT_EQ(error("file:"), "expression 'file:' column 6: expected a path after file:");
  context_.add_path = nullptr;
  EXPECT_EQ(error("file:x"), "expression 'file:x' column 1: file: is not available here");
}

TEST_F(ExprTest, Label) {
  labels_["greeting"] = blob("hi");
  EXPECT_EQ(parse("@greeting"), blob("hi"));
  EXPECT_EQ(error("[u8:1, @nope]"), "expression '[u8:1, @nope]' column 8: no label 'nope'");
  EXPECT_EQ(error("@"), "expression '@' column 2: expected a label name after '@'");
}

TEST_F(ExprTest, NameAndPrefix) {
  Name stored = store_.put_blob(std::string(40, 'q'));
  names_[stored.hex()] = stored;
  EXPECT_EQ(parse(stored.hex()), stored);
  EXPECT_EQ(parse(stored.hex().substr(0, 8)), stored);
  EXPECT_EQ(resolved_.back(), stored.hex().substr(0, 8));
  EXPECT_EQ(error("[deadbeef]"), "expression '[deadbeef]' column 2: no object known by 'deadbeef'");
}

TEST_F(ExprTest, Tree) {
  Name t = parse("[u8:1, \"two\", [x:03, []]]");
  ASSERT_TRUE(t.is_tree());
  auto e = entries(t);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0], blob("\x01"));
  EXPECT_EQ(e[1], blob("two"));
  auto inner = entries(e[2]);
  ASSERT_EQ(inner.size(), 2u);
  EXPECT_EQ(inner[1], Name::tree_name({}));
  EXPECT_EQ(parse(" [ u8:1 ,\n\tu8:2 ] "), parse("[u8:1,u8:2]"));
}

TEST_F(ExprTest, TreeErrors) {
  EXPECT_EQ(error("app:[limits, native:concat"),
            "expression 'app:[limits, native:concat' column 27: expected ',' or ']'");
  EXPECT_EQ(error("[u8:1 u8:2]"), "expression '[u8:1 u8:2]' column 7: expected ',' or ']'");
  EXPECT_THAT(error("[u8:1,]"), HasSubstr("column 7: expected an expression"));
  EXPECT_THAT(error("["), HasSubstr("column 2: expected an expression"));
}

TEST_F(ExprTest, Application) {
  Name a = parse("app:[limits, native:concat, \"a\", \"b\"]");
  EXPECT_EQ(a.kind(), Kind::Application);
  auto e = entries(a);
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0], Limits{}.to_blob_name());
  EXPECT_EQ(e[1], NativeProcedures::procedure_name("concat"));
  EXPECT_EQ(e[3], blob("b"));
  EXPECT_THAT(error("app:\"x\""),
              HasSubstr("expression 'app:\"x\"' column 1: an Application needs a Tree"));
}

TEST_F(ExprTest, Identification) {
  EXPECT_EQ(parse("ident:\"v\""), blob("v").identification());
  EXPECT_EQ(parse("ident:[u8:1]").kind(), Kind::Identification);
  EXPECT_THAT(error("ident:ident:\"v\""), HasSubstr("column 1: an Identification needs a value"));
}

TEST_F(ExprTest, Selection) {
  Name s = parse("select:([u8:1, u8:2, u8:3], 1)");
  EXPECT_EQ(s.kind(), Kind::Selection);
  auto e = entries(s);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[1], blob(std::string("\x01\0\0\0\0\0\0\0", 8)));
  Name slice = parse("select:( \"hello\" , 1 , 0x3 )");
  auto f = entries(slice);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0], blob("hello"));
  EXPECT_EQ(f[2], blob(std::string("\x03\0\0\0\0\0\0\0", 8)));
}

TEST_F(ExprTest, SelectionErrors) {
  EXPECT_EQ(error("select:[u8:1]"),
            "expression 'select:[u8:1]' column 8: expected '(' after select:");
  EXPECT_THAT(error("select:(u8:1)"), HasSubstr("column 13: expected ',' and an index"));
  EXPECT_THAT(error("select:(u8:1, x)"), HasSubstr("column 15: expected index"));
  EXPECT_THAT(error("select:(u8:1, 1"), HasSubstr("column 16: expected ',' or ')'"));
  EXPECT_THAT(error("select:(u8:1, 1, 2"), HasSubstr("column 19: expected ')'"));
}

TEST_F(ExprTest, Encodes) {
  Name app = parse("app:[limits, native:concat]");
  EXPECT_EQ(parse("strict:app:[limits, native:concat]"), app.strict());
  EXPECT_EQ(parse("shallow:app:[limits, native:concat]"), app.shallow());
  EXPECT_EQ(parse("strict:select:([u8:1], 0)").kind(), Kind::Strict);
  EXPECT_THAT(error("strict:\"x\""), HasSubstr("column 1: a Strict encode needs a thunk"));
  EXPECT_THAT(error("[u8:1, shallow:u8:2]"), HasSubstr("column 8: a Shallow encode needs a thunk"));
}

TEST_F(ExprTest, Ref) {
  Name r = parse("ref:\"v\"");
  EXPECT_TRUE(r.is_ref());
  EXPECT_EQ(r.unref(), blob("v"));
  EXPECT_THAT(error("ref:app:[limits, native:concat]"), HasSubstr("column 1: a Ref names a value"));
}

TEST_F(ExprTest, Limits) {
  EXPECT_EQ(parse("limits"), Limits{}.to_blob_name());
  EXPECT_EQ(parse("limits()"), Limits{}.to_blob_name());
  EXPECT_EQ(parse("limits(mem=64M, fuel=1000)"), (Limits{64 << 20, 1000}.to_blob_name()));
  EXPECT_EQ(parse("limits( fuel = 7 )"), (Limits{0, 7}.to_blob_name()));
  EXPECT_EQ(parse("limits(mem=2k)"), (Limits{2048, 0}.to_blob_name()));
}

TEST_F(ExprTest, LimitsErrors) {
  EXPECT_EQ(error("limits(mem=1, mem=2)"),
            "expression 'limits(mem=1, mem=2)' column 15: mem is given twice");
  EXPECT_EQ(error("limits(cpu=1)"),
            "expression 'limits(cpu=1)' column 8: expected mem=BYTES or fuel=N");
  EXPECT_THAT(error("limits(mem 1)"), HasSubstr("column 12: expected '=' after mem"));
  EXPECT_THAT(error("limits(mem=1"), HasSubstr("column 13: expected ',' or ')'"));
  EXPECT_THAT(error("limits(mem=99999999999999T)"), HasSubstr("column 12: mem is out of range"));
}

TEST_F(ExprTest, Native) {
  EXPECT_EQ(parse("native:concat"), NativeProcedures::procedure_name("concat"));
  // Longer than a literal: must be stored so the runner can read it.
  Name n = parse("native:a_rather_long_procedure_name");
  EXPECT_EQ(n, NativeProcedures::procedure_name("a_rather_long_procedure_name"));
  EXPECT_TRUE(store_.contains(n));
  EXPECT_EQ(error("native:"),
            "expression 'native:' column 8: expected a procedure name after native:");
}

TEST_F(ExprTest, EverythingBuiltIsStored) {
  const std::string big(50, 'b');
  Name t = parse("app:[limits, native:concat, \"" + big + "\", [\"" + big + "x\"]]");
  EXPECT_TRUE(store_.contains(t));
  for (Name e : entries(t)) {
    if (!e.is_literal()) {
      EXPECT_TRUE(store_.contains(e)) << e.hex();
    }
  }
}

TEST_F(ExprTest, GeneralErrors) {
  EXPECT_THAT(error(""), HasSubstr("column 1: expected an expression"));
  EXPECT_THAT(error("   "), HasSubstr("column 4: expected an expression"));
  EXPECT_EQ(error("\"a\" \"b\""),
            "expression '\"a\" \"b\"' column 5: expected the end of the expression");
  EXPECT_THAT(error("hello"), HasSubstr("column 1: unknown word 'hello'"));
  EXPECT_THAT(error("bogus:1"), HasSubstr("column 1: unknown form 'bogus:'"));
  EXPECT_THAT(error("\"abc"), HasSubstr("column 1: unterminated string"));
  EXPECT_THAT(error("\"a\\qb\""), HasSubstr("column 3: unknown escape"));
  EXPECT_THAT(error("\"\\x4\""), HasSubstr("column 2: \\x needs two hex digits"));
  EXPECT_THAT(error("x:abc"), HasSubstr("column 3: x: needs an even number of hex digits"));
  EXPECT_THAT(error("x:0g"), HasSubstr("column 4: expected a hex digit"));
  EXPECT_THAT(error("}"), HasSubstr("column 1: expected an expression"));
}

TEST_F(ExprTest, ErrorsStayOnOneLine) {
  std::string e = error("[u8:1,\n\n u8:2\n");
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  EXPECT_THAT(e, HasSubstr("column 15: expected ',' or ']'"));
  // A callback's message that echoes outside text (here a path with a newline) is kept on one line.
  context_.add_path = [](const std::string& path) -> Name {
    throw InputError(path + ": unreadable");
  };
  e = error("file:\"a\nb\"");
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  EXPECT_THAT(e, HasSubstr("a\\nb: unreadable"));
  e = error(std::string(1000, '['));
  EXPECT_EQ(e.find('\n'), std::string::npos);
  EXPECT_LT(e.size(), 400u);
}

TEST_F(ExprTest, NestingIsBounded) {
  const std::string deep_ok =
      std::string(kMaxExpressionDepth - 1, '[') + std::string(kMaxExpressionDepth - 1, ']');
  EXPECT_TRUE(parse(deep_ok).is_tree());
  EXPECT_THAT(error(std::string(100000, '[')), HasSubstr("nests deeper than 256 levels"));
  std::string strict_chain;
  for (int i = 0; i < 10000; ++i) strict_chain += "ident:";
  EXPECT_THAT(error(strict_chain + "\"x\""), HasSubstr("nests deeper than 256 levels"));
}

}  // namespace
}  // namespace fixnet::cli
