#include "flatware/program_input.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "core/error.h"
#include "flatware_test_util.h"

namespace fixnet::flatware::testing {
namespace {

using ::testing::HasSubstr;

ProgramInputSpec sample(ObjectStore& s) {
  ProgramInputSpec spec;
  spec.limits = Limits{1 << 20, 5000};
  spec.program = s.put_blob(std::string(40, 'w'));
  spec.args = {"prog", "a"};
  spec.env = {"A=1", "B="};
  spec.stdin_blob = s.put_blob("input");
  spec.filesystem = tree(s, {file(s, "f", "x")});
  spec.seed[0] = 7;
  spec.seed[31] = 9;
  spec.start_time_ns = 123456789;
  return spec;
}

TEST(ProgramInput, MakeThenParseRoundTrips) {
  MemoryStore s;
  const ProgramInputSpec spec = sample(s);
  const ProgramInput in = parse_program_input(s, make_program_input(s, spec));
  EXPECT_EQ(in.limits.memory_bytes, 1u << 20);
  EXPECT_EQ(in.limits.fuel, 5000u);
  EXPECT_EQ(in.program, spec.program);
  EXPECT_EQ(in.args, spec.args);
  EXPECT_EQ(in.env, spec.env);
  EXPECT_EQ(in.stdin_blob, spec.stdin_blob);
  EXPECT_EQ(in.filesystem, spec.filesystem);
  EXPECT_EQ(in.seed, spec.seed);
  EXPECT_EQ(in.start_time_ns, 123456789u);
}

TEST(ProgramInput, NullStdinAndFilesystemBecomeEmpty) {
  MemoryStore s;
  ProgramInputSpec spec = sample(s);
  spec.stdin_blob = Name();
  spec.filesystem = Name();
  const ProgramInput in = parse_program_input(s, make_program_input(s, spec));
  EXPECT_EQ(in.stdin_blob, Name::blob_name(""));
  EXPECT_EQ(in.filesystem, Name::tree_name({}));
}

// Replaces entry `index` of a valid input and expects a ProcedureError mentioning `what`.
void expect_rejected(size_t index, std::function<Name(ObjectStore&)> replacement, std::string_view what) {
  MemoryStore s;
  std::vector<Name> entries = *s.get_tree(make_program_input(s, sample(s)));
  entries[index] = replacement(s);
  try {
    parse_program_input(s, s.put_tree(entries));
    ADD_FAILURE() << "entry " << index << " accepted";
  } catch (const ProcedureError& e) {
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("input entry {}", index)));
    EXPECT_THAT(e.what(), HasSubstr(what));
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

TEST(ProgramInput, EachMalformedEntryIsNamed) {
  expect_rejected(
      0, [](ObjectStore& s) { return s.put_blob("short"); }, "limits");
  expect_rejected(
      1, [](ObjectStore& s) { return s.put_tree({}); }, "expected a Blob");
  expect_rejected(
      2, [](ObjectStore& s) { return s.put_blob("argv"); }, "expected a Tree of Blobs");
  expect_rejected(
      2, [](ObjectStore& s) { return s.put_tree({s.put_blob(std::string("a\0b", 3))}); }, "NUL");
  expect_rejected(
      2, [](ObjectStore& s) { return s.put_tree({s.put_tree({})}); }, "entry 0 is a Tree");
  expect_rejected(
      3, [](ObjectStore& s) { return s.put_tree({s.put_blob("NOEQUALS")}); }, "'='");
  expect_rejected(
      4, [](ObjectStore& s) { return s.put_tree({}); }, "expected a Blob");
  expect_rejected(
      5, [](ObjectStore& s) { return s.put_blob("fs"); }, "directory Tree");
  expect_rejected(
      6, [](ObjectStore& s) { return s.put_blob(std::string(31, 's')); }, "expected 32 bytes");
  expect_rejected(
      7, [](ObjectStore& s) { return s.put_blob("1234"); }, "expected 8 bytes");
  expect_rejected(
      4, [](ObjectStore& s) { return s.put_blob("x").as_ref(); }, "Ref");
}

TEST(ProgramInput, WrongShapeIsAnError) {
  MemoryStore s;
  std::vector<Name> entries = *s.get_tree(make_program_input(s, sample(s)));
  entries.pop_back();
  EXPECT_THROW(parse_program_input(s, s.put_tree(entries)), ProcedureError);
  EXPECT_THROW(parse_program_input(s, s.put_blob("not a tree")), ProcedureError);
}

TEST(ProgramOutput, TreeRoundTripsAndHasTheDocumentedLayout) {
  MemoryStore s;
  const ProgramOutput out{42, s.put_blob("out"), s.put_blob("err"), tree(s, {})};
  const Name t = output_tree(s, out);
  const auto& e = *s.get_tree(t);
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(*s.get_blob(e[0]), le(42, 4));
  const ProgramOutput back = parse_output_tree(s, t);
  EXPECT_EQ(back.exit_code, 42u);
  EXPECT_EQ(back.stdout_blob, out.stdout_blob);
  EXPECT_EQ(back.stderr_blob, out.stderr_blob);
  EXPECT_EQ(back.filesystem, out.filesystem);
  EXPECT_THROW(parse_output_tree(s, s.put_tree({e[0], e[1]})), InputError);
}

}  // namespace
}  // namespace fixnet::flatware::testing
