// Bad input, one test each: every failure is one line on stderr starting "fixnet: ", names the
// input, and exits non-zero — never a crash, never a stack of messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "core/name.h"
#include "core/repository.h"

namespace fixnet::cli::testing {
namespace {

using ::testing::HasSubstr;

class BadInputTest : public CliTest {
 protected:
  // Adds a file of `size` bytes (canonical, so it has an object file) and returns its Name.
  std::string add_file(const std::string& name, size_t size, char fill = 'o') {
    write_file(dir_ / name, std::string(size, fill));
    return ok({"add", name});
  }
};

TEST_F(BadInputTest, UnknownNamePrefix) {
  add_file("f", 100);
  RunResult r = fixnet({"cat", "abcdef12"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("abcdef12"));
  r = fixnet({"show", "abcdef12"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("abcdef12"));
}

TEST_F(BadInputTest, NotANameAtAll) {
  RunResult r = fixnet({"cat", "not-hex!"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("not-hex!"));
}

TEST_F(BadInputTest, AmbiguousPrefix) {
  // Two stored objects whose Names share their first 4 hex digits: search deterministic contents
  // until two collide (a few hundred tries), then store just those two.
  std::map<std::string, std::string> by_prefix;
  std::string a, b;
  for (int i = 0; b.empty(); ++i) {
    std::string content = "ambiguous prefix test object number " + std::to_string(i);
    std::string prefix = Name::blob_name(content).hex().substr(0, 4);
    auto [it, inserted] = by_prefix.emplace(prefix, content);
    if (!inserted) {
      a = it->second;
      b = content;
    }
  }
  const Name na = Name::blob_name(a), nb = Name::blob_name(b);
  {
    auto repo_handle = Repository::open(repo());
    repo_handle->put_blob(a);
    repo_handle->put_blob(b);
  }
  const std::string prefix = na.hex().substr(0, 4);
  RunResult r = fixnet({"cat", prefix});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr(prefix));
  EXPECT_THAT(r.err, HasSubstr("ambiguous"));
  // More digits make it unique again.
  EXPECT_EQ(ok({"cat", na.hex().substr(0, 20)}), a);
  EXPECT_EQ(ok({"cat", nb.hex().substr(0, 20)}), b);
}

TEST_F(BadInputTest, MalformedExpressions) {
  for (const std::string expr :
       {"app:[limits, native:concat", "\"unterminated", "u8:999", "select:(x:00)", "limits(cpu=1)",
        "[,]", ")", "@no-such-label", "deadbeef"}) {
    RunResult r = fixnet({"eval", expr});
    ASSERT_TRUE(one_line_error(r)) << expr;
    EXPECT_THAT(r.err, HasSubstr("column")) << expr;
    EXPECT_EQ(r.out, "") << expr;
  }
}

TEST_F(BadInputTest, MissingObjectByFullName) {
  const std::string nothing = Name::blob_name(std::string(1000, 'm')).hex();
  for (const char* command : {"cat", "show"}) {
    RunResult r = fixnet({command, nothing});
    ASSERT_TRUE(one_line_error(r)) << command;
    EXPECT_THAT(r.err, HasSubstr(nothing)) << command;
  }
  RunResult r = fixnet({"eval", nothing});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr(nothing.substr(0, 12)));
}

TEST_F(BadInputTest, FlippedBitInAnObjectFile) {
  const std::string hex = add_file("f", 1000);
  const fs::path file = object_file(hex);
  ASSERT_TRUE(fs::exists(file)) << file;
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  std::string bytes = read_file(file);
  bytes[bytes.size() / 2] ^= 0x10;
  write_file(file, bytes);

  RunResult r = fixnet({"cat", hex});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr(hex));
  EXPECT_EQ(r.out, "");  // no corrupt bytes reach stdout

  r = fixnet({"fsck"});
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(one_line_error(r));
  EXPECT_THAT(r.out, HasSubstr(hex.substr(2)));  // the problem names the object's file
  EXPECT_THAT(r.out, HasSubstr("1 problem"));
}

TEST_F(BadInputTest, TruncatedObjectFile) {
  const std::string hex = add_file("f", 5000);
  const fs::path file = object_file(hex);
  ASSERT_TRUE(fs::exists(file));
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  fs::resize_file(file, 100);

  RunResult r = fixnet({"cat", hex});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr(hex));
  r = fixnet({"fsck"});
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(one_line_error(r));
  EXPECT_THAT(r.out, HasSubstr(hex.substr(2)));
}

TEST_F(BadInputTest, CorruptTreeInShowAndWhy) {
  fs::create_directories(dir_ / "d");
  write_file(dir_ / "d/f", "x");
  const std::string hex = ok({"add", "d"});
  const fs::path file = object_file(hex);
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  std::string bytes = read_file(file);
  bytes[0] ^= 1;
  write_file(file, bytes);
  RunResult r = fixnet({"show", hex});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr(hex));
}

TEST_F(BadInputTest, LabelPointingNowhere) {
  const std::string hex = add_file("f", 300);
  ok({"label", hex, "orphan"});
  fs::remove(object_file(hex));

  RunResult r = fixnet({"fsck"});
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(one_line_error(r));
  EXPECT_THAT(r.out, HasSubstr("labels/orphan"));
  auto j = nlohmann::json::parse(fixnet({"fsck", "--json"}).out);
  EXPECT_EQ(j["ok"], false);
  bool found = false;
  for (const auto& p : j["problems"])
    if (p["path"].get<std::string>().find("orphan") != std::string::npos) found = true;
  EXPECT_TRUE(found) << j.dump();

  r = fixnet({"cat", "@orphan"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr(hex));
}

TEST_F(BadInputTest, MalformedLabelFile) {
  add_file("f", 300);
  write_file(repo() / "labels" / "broken", "not a name\n");
  RunResult r = fixnet({"cat", "@broken"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("broken"));
  r = fixnet({"fsck"});
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("labels/broken"));
}

TEST_F(BadInputTest, EvalOfAHostileExpression) {
  // 100000 characters: below the kernel's 128 KiB cap on one argument.
  RunResult r = fixnet({"eval", std::string(100000, '[')});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("nests deeper"));
  EXPECT_LT(r.err.size(), 400u);
  r = fixnet({"eval", std::string("\"a\xff\x01\n\"\"")});
  ASSERT_TRUE(one_line_error(r));
}

TEST_F(BadInputTest, SelectionOutOfRangeIsAnErrorValue) {
  RunResult r = fixnet({"eval", "select:([u8:1], 5)"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("out of range"));
}

TEST_F(BadInputTest, ShowAndWhyOfAnUnknownLabel) {
  for (const char* command : {"show", "why", "reproduce", "cat"}) {
    RunResult r = fixnet({command, "@nothing-here"});
    ASSERT_TRUE(one_line_error(r)) << command;
    EXPECT_THAT(r.err, HasSubstr("nothing-here")) << command;
  }
}

}  // namespace
}  // namespace fixnet::cli::testing
