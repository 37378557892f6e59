// End-to-end tests of every `fixnet` command: the real binary, in a fresh directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <random>

#include "cli/lib/directory_tree.h"
#include "cli_test_util.h"
#include "core/name.h"
#include "core/procedure.h"
#include "core/repository.h"

namespace fixnet::cli::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

std::string u64_le(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (8 * i));
  return out;
}

// ---- the program itself ------------------------------------------------------------------------

TEST(CliProgram, HelpListsEveryCommand) {
  TempDir dir;
  RunResult r = run_fixnet(dir.path(), {"--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* command :
       {"init", "add", "cat", "show", "label", "labels", "eval", "why", "reproduce", "gc", "fsck"})
    EXPECT_THAT(r.out, HasSubstr(command));
}

TEST(CliProgram, EveryCommandHelpTeachesWithAnExample) {
  TempDir dir;
  for (const char* command : {"init", "add", "cat", "show", "label", "labels", "eval", "why",
                              "reproduce", "gc", "fsck"}) {
    RunResult r = run_fixnet(dir.path(), {command, "--help"});
    EXPECT_EQ(r.code, 0) << command;
    EXPECT_THAT(r.out, HasSubstr("Examples:")) << command;
    EXPECT_THAT(r.out, HasSubstr(std::string("fixnet ") + command)) << command;
  }
}

TEST(CliProgram, Version) {
  TempDir dir;
  RunResult r = run_fixnet(dir.path(), {"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, StartsWith("fixnet "));
}

TEST(CliProgram, UsageErrorsExitTwoWithOneLine) {
  TempDir dir;
  for (auto args : {std::vector<std::string>{},
                    {"frobnicate"},
                    {"cat"},
                    {"eval", "--bogus", "x"},
                    {"show", "--depth", "x", "abcd"}}) {
    RunResult r = run_fixnet(dir.path(), args);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_TRUE(one_line_error(r));
  }
}

TEST(CliProgram, NoRepositoryIsOneLineSayingToInit) {
  TempDir dir;
  RunResult r = run_fixnet(dir.path(), {"labels"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("fixnet init"));
}

TEST(CliProgram, DashCToAMissingDirectory) {
  TempDir dir;
  RunResult r = run_fixnet(dir.path(), {"-C", "does-not-exist", "labels"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("does-not-exist"));
}

// ---- init --------------------------------------------------------------------------------------

TEST(CliInit, CreatesAndLeavesExisting) {
  TempDir dir;
  RunResult r = run_fixnet(dir.path(), {"init"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Initialized empty fixnet repository in"));
  EXPECT_TRUE(fs::is_directory(dir / ".fixnet"));
  r = run_fixnet(dir.path(), {"init"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Existing"));
  r = run_fixnet(dir.path(), {"init", "sub/project"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_directory(dir / "sub/project/.fixnet"));
}

TEST_F(CliTest, SubdirectoriesFindTheRepository) {
  fs::create_directories(dir_ / "a/b");
  write_file(dir_ / "a/b/f", "content");
  RunResult r = run_fixnet(dir_ / "a/b", {"add", "f"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "a/b/.fixnet"));
}

// ---- add / cat
// -----------------------------------------------------------------------------------

TEST_F(CliTest, AddCatRoundTripOfFiles) {
  const std::string small = "hello\n";
  const std::string large = random_bytes(65 << 20, 1);  // over 64 MiB: mapped, not read
  const std::string medium = random_bytes(1000, 2);
  write_file(dir_ / "small", small);
  write_file(dir_ / "large", large);
  write_file(dir_ / "medium", medium);
  write_file(dir_ / "empty", "");
  RunResult r = fixnet({"add", "small", "large", "medium", "empty"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<std::string> names;
  for (std::string line; std::getline(lines, line);) names.push_back(line);
  ASSERT_EQ(names.size(), 4u);
  EXPECT_EQ(names[0], Name::blob_name(small).hex());
  EXPECT_EQ(names[1], Name::blob_name(large).hex());
  const std::string expected[] = {small, large, medium, ""};
  for (size_t i = 0; i < 4; ++i) {
    RunResult c = fixnet({"cat", names[i]});
    ASSERT_EQ(c.code, 0) << c.err;
    EXPECT_EQ(c.out, expected[i]) << i;
    EXPECT_EQ(c.err, "");
  }
  // A prefix works as well as the full Name.
  EXPECT_EQ(fixnet({"cat", names[2].substr(0, 10)}).out, medium);
}

TEST_F(CliTest, AddJson) {
  write_file(dir_ / "f", "0123456789012345678901234567890123456789");
  auto j = nlohmann::json::parse(ok({"add", "--json", "f"}));
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j[0]["path"], "f");
  EXPECT_EQ(j[0]["kind"], "Blob");
  EXPECT_EQ(j[0]["bytes"], 40);
  EXPECT_EQ(j[0]["name"], Name::blob_name("0123456789012345678901234567890123456789").hex());
}

// Walks a directory Tree beside the directory it came from: names sorted, modes, contents.
void expect_same_directory(Repository& repo, Name tree, const fs::path& dir,
                           const std::function<std::string(Name)>& cat) {
  ASSERT_TRUE(tree.is_tree());
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  TreeData entries = repo.get_tree(tree);
  ASSERT_EQ(entries->size(), names.size()) << dir;
  for (size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    TreeData entry = repo.get_tree((*entries)[i]);
    ASSERT_EQ(entry->size(), 3u);
    EXPECT_EQ(*repo.get_blob((*entry)[0]), names[i]);
    const fs::path path = dir / names[i];
    struct stat st;
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_EQ(*repo.get_blob((*entry)[1]), mode_bytes(st.st_mode & (S_IFMT | 07777)));
    Name content = (*entry)[2];
    if (S_ISDIR(st.st_mode)) {
      expect_same_directory(repo, content, path, cat);
    } else if (S_ISLNK(st.st_mode)) {
      EXPECT_EQ(*repo.get_blob(content), fs::read_symlink(path).string());
    } else {
      EXPECT_EQ(cat(content), read_file(path));
    }
  }
}

TEST_F(CliTest, AddCatRoundTripOfADirectory) {
  const fs::path src = dir_ / "src";
  fs::create_directories(src / "sub/deeper");
  fs::create_directories(src / "empty");
  write_file(src / "b.txt", "bee\n");
  write_file(src / "a.bin", random_bytes(50000, 3));
  write_file(src / "sub/c", "sea");
  write_file(src / "sub/deeper/big", random_bytes(2 << 20, 4));
  fs::create_symlink("../b.txt", src / "sub/link");
  fs::permissions(src / "b.txt",
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::owner_exec);

  const std::string hex = ok({"add", "src"});
  ASSERT_EQ(hex.size(), 64u);
  auto repository = Repository::open(repo());
  Name tree = Name::from_hex(hex);
  expect_same_directory(*repository, tree, src, [&](Name n) {
    RunResult r = fixnet({"cat", n.hex()});
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out;
  });
  // The same content elsewhere gives the same Name: the path is not part of it.
  fs::create_directories(dir_ / "copy");
  fs::copy(src, dir_ / "copy/src", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::permissions(dir_ / "copy/src/b.txt",
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::owner_exec);
  EXPECT_EQ(ok({"add", "copy/src/"}), hex);
}

TEST_F(CliTest, AddLabel) {
  write_file(dir_ / "f", "labelled content");
  const std::string hex = ok({"add", "--label", "thing", "f"});
  EXPECT_EQ(ok({"cat", "@thing"}), "labelled content");
  EXPECT_EQ(ok({"cat", "thing"}), "labelled content");
  EXPECT_THAT(ok({"labels"}), HasSubstr(hex + " thing"));
}

TEST_F(CliTest, AddMissingPathNamesIt) {
  RunResult r = fixnet({"add", "no-such-file"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("no-such-file"));
}

TEST_F(CliTest, AddRefusesAFifo) {
  fs::create_directories(dir_ / "d");
  ASSERT_EQ(::mkfifo((dir_ / "d/pipe").c_str(), 0600), 0);
  RunResult r = fixnet({"add", "d"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("d/pipe"));
  EXPECT_THAT(r.err, HasSubstr("FIFO"));
}

TEST_F(CliTest, CatOfATreeSaysToUseShow) {
  fs::create_directories(dir_ / "d");
  const std::string hex = ok({"add", "d"});
  RunResult r = fixnet({"cat", hex});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("fixnet show"));
}

TEST_F(CliTest, CatOfAThunkSaysToUseEval) {
  const std::string value = ok({"eval", "app:[limits, native:concat]"});
  // The application thunk itself: why --json names it.
  auto j = nlohmann::json::parse(ok({"why", "--json", value}));
  const std::string key = j["produced_by"]["key"];
  RunResult r = fixnet({"cat", key});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("fixnet eval"));
}

// ---- show --------------------------------------------------------------------------------------

TEST_F(CliTest, ShowBlobAndTree) {
  fs::create_directories(dir_ / "d/inner");
  write_file(dir_ / "d/text", "hello there");
  write_file(dir_ / "d/binary", std::string("\x00\x01\xfe", 3));
  write_file(dir_ / "d/inner/x", "x");
  const std::string hex = ok({"add", "d"});
  const std::string out = ok({"show", hex});
  EXPECT_THAT(out, StartsWith("Tree " + hex + " (3 entries)\n"));
  EXPECT_THAT(out, HasSubstr("\"hello there\""));
  EXPECT_THAT(out, HasSubstr("x:0001fe"));
  EXPECT_THAT(out, Not(HasSubstr("x:0001fe (")));  // 3 bytes: not shown as a number
  // Binary Blobs of 1, 2, 4 or 8 bytes are also shown as the number they likely are.
  EXPECT_THAT(ok({"eval", "--show", "u64:832040"}), HasSubstr("x:28b20c0000000000 (u64:832040)"));
  EXPECT_THAT(ok({"eval", "--show", "u16:258"}), HasSubstr("x:0201 (u16:258)"));
  EXPECT_THAT(out, HasSubstr("\"inner\""));
  // Depth 1: the entries' own entries are not listed.
  EXPECT_THAT(ok({"show", "--depth", "1", hex}), Not(HasSubstr("hello there")));

  const std::string blob = ok({"add", "d/text"});
  EXPECT_EQ(ok({"show", blob}), "Blob " + blob + " (11 bytes) \"hello there\"");
}

TEST_F(CliTest, ShowJson) {
  fs::create_directories(dir_ / "d");
  write_file(dir_ / "d/f", "data");
  const std::string hex = ok({"add", "d"});
  auto j = nlohmann::json::parse(ok({"show", "--json", hex}));
  EXPECT_EQ(j["name"], hex);
  EXPECT_EQ(j["kind"], "Tree");
  EXPECT_EQ(j["size"], 1);
  auto entry = j["entries"][0];
  EXPECT_EQ(entry["kind"], "Tree");
  EXPECT_EQ(entry["entries"][0]["text"], "f");
  EXPECT_EQ(entry["entries"][2]["text"], "data");
}

// ---- labels ------------------------------------------------------------------------------------

TEST_F(CliTest, LabelListAndRemove) {
  write_file(dir_ / "f", "some file content that is long enough");
  const std::string hex = ok({"add", "f"});
  EXPECT_EQ(ok({"label", hex.substr(0, 8), "mine"}), hex + " mine");
  EXPECT_EQ(ok({"label", "@mine", "also-mine"}), hex + " also-mine");
  EXPECT_EQ(ok({"labels"}), hex + " also-mine\n" + hex + " mine");
  auto j = nlohmann::json::parse(ok({"labels", "--json"}));
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["label"], "mine");
  EXPECT_EQ(j[1]["name"], hex);
  auto set = nlohmann::json::parse(ok({"label", "--json", hex, "third"}));
  EXPECT_EQ(set["name"], hex);
  EXPECT_EQ(ok({"label", "-d", "mine"}), "removed label mine");
  EXPECT_THAT(ok({"labels"}), Not(HasSubstr(" mine\n")));
  RunResult r = fixnet({"label", "-d", "mine"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("mine"));
}

TEST_F(CliTest, LabelErrors) {
  write_file(dir_ / "f", "some file content that is long enough");
  const std::string hex = ok({"add", "f"});
  RunResult r = fixnet({"label", hex, "bad/label"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("bad/label"));
  r = fixnet({"label", hex});
  ASSERT_TRUE(one_line_error(r));
  // A Name the repository does not hold cannot be labelled.
  const std::string nothing = Name::blob_name(std::string(100, 'n')).hex();
  r = fixnet({"label", nothing, "ghost"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr(nothing));
}

// ---- eval --------------------------------------------------------------------------------------

TEST_F(CliTest, EvalConcatShow) {
  RunResult r = fixnet({"eval", "app:[limits, native:concat, \"hello, \", \"world\"]", "--show"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"hello, world\""));
  EXPECT_EQ(ok({"eval", "app:[limits, native:concat, \"hello, \", \"world\"]"}),
            Name::blob_name("hello, world").hex());
}

TEST_F(CliTest, EvalSelection) {
  EXPECT_EQ(ok({"eval", "select:([u8:1, u8:2, u8:3], 1)"}), Name::blob_name("\x02").hex());
  EXPECT_EQ(ok({"eval", "select:(\"hello world\", 6, 11)"}), Name::blob_name("world").hex());
}

TEST_F(CliTest, EvalOfEveryForm) {
  write_file(dir_ / "f", "file contents");
  const std::string file_hex = ok({"add", "--label", "f", "f"});
  const std::string long_text(40, 'L');
  const std::string long_hex = ok({"eval", "\"" + long_text + "\""});
  struct Case {
    std::string expr;
    std::string expected;  // hex of the result
  };
  const std::vector<Case> cases = {
      {"\"text\"", Name::blob_name("text").hex()},
      {"x:0a0bff", Name::blob_name("\x0a\x0b\xff").hex()},
      {"u8:7", Name::blob_name("\x07").hex()},
      {"u16:258", Name::blob_name("\x02\x01").hex()},
      {"u32:1", Name::blob_name(std::string("\x01\0\0\0", 4)).hex()},
      {"u64:5", Name::blob_name(u64_le(5)).hex()},
      {"file:f", file_hex},
      {"@f", file_hex},
      {long_hex.substr(0, 12), long_hex},
      {"[u8:1, [\"a\"]]", ""},
      {"app:[limits, native:add, u64:40, u64:2]", Name::blob_name(u64_le(42)).hex()},
      {"ident:\"v\"", Name::blob_name("v").hex()},
      {"select:([u8:1, u8:2], 0)", Name::blob_name("\x01").hex()},
      {"app:[limits, native:concat, strict:app:[limits, native:concat, \"a\", \"b\"], \"c\"]",
       Name::blob_name("abc").hex()},
      {"[shallow:app:[limits, native:concat, \"" + long_text + "\"]]", ""},
      {"ref:\"v\"", Name::blob_name("v").as_ref().hex()},
      {"limits(mem=1M, fuel=10)", Limits{1 << 20, 10}.to_blob_name().hex()},
      {"native:concat", NativeProcedures::procedure_name("concat").hex()},
  };
  for (const auto& c : cases) {
    RunResult r = fixnet({"eval", c.expr});
    EXPECT_EQ(r.code, 0) << c.expr << ": " << r.err;
    if (!c.expected.empty()) {
      EXPECT_EQ(trimmed(r.out), c.expected) << c.expr;
    }
  }
  // A Tree with a Shallow encode evaluates to a Tree holding a Ref of the result.
  const std::string shallow =
      ok({"eval", "[shallow:app:[limits, native:concat, \"" + long_text + "\"]]"});
  auto j = nlohmann::json::parse(ok({"show", "--json", shallow}));
  EXPECT_EQ(j["entries"][0]["ref"], true);
  EXPECT_EQ(j["entries"][0]["name"], Name::blob_name(long_text).as_ref().hex());
}

TEST_F(CliTest, EvalJsonAndMemoHitInASecondProcess) {
  const std::string expr = "app:[limits, native:concat, \"memo \", \"test\"]";
  auto first = nlohmann::json::parse(ok({"eval", "--json", expr}));
  EXPECT_EQ(first["name"], Name::blob_name("memo test").hex());
  EXPECT_EQ(first["kind"], "Blob");
  EXPECT_EQ(first["size"], 9);
  EXPECT_TRUE(first["error"].is_null());
  EXPECT_EQ(first["memo_hit"], false);
  EXPECT_EQ(first["applications"], 1);
  auto second = nlohmann::json::parse(ok({"eval", "--json", expr}));
  EXPECT_EQ(second["name"], first["name"]);
  EXPECT_EQ(second["memo_hit"], true);
  EXPECT_EQ(second["applications"], 0);
}

TEST_F(CliTest, EvalErrorValueIsReportedAndMemoized) {
  const std::string expr = "app:[limits, native:add, x:000000000000000000]";  // 9 bytes: too long
  RunResult r = fixnet({"eval", expr});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("add: an argument has 9 bytes"));
  EXPECT_THAT(r.err, HasSubstr("native:add"));  // names the input
  const std::string error_value = trimmed(r.out);
  ASSERT_EQ(error_value.size(), 64u);
  r = fixnet({"eval", "--json", expr});
  EXPECT_EQ(r.code, 1);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["name"], error_value);
  EXPECT_EQ(j["memo_hit"], true);
  EXPECT_THAT(j["error"].get<std::string>(), HasSubstr("9 bytes"));
}

TEST_F(CliTest, EvalUnknownNativeProcedure) {
  RunResult r = fixnet({"eval", "app:[limits, native:nope, \"x\"]"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("native:nope"));
}

TEST_F(CliTest, EvalLabel) {
  ok({"eval", "--label", "sum", "app:[limits, native:add, u64:1, u64:2]"});
  EXPECT_EQ(ok({"cat", "@sum"}), u64_le(3));
}

TEST_F(CliTest, EvalMalformedExpression) {
  RunResult r = fixnet({"eval", "app:[limits, native:concat"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_EQ(r.err,
            "fixnet: expression 'app:[limits, native:concat' column 27: expected ',' or ']'\n");
}

TEST_F(CliTest, EvalOfAWasmProcedure) {
  // Built by examples/CMakeLists.txt beside the fixnet binary, before cli_tests.
  const fs::path module = fs::path(FIXNET_BINARY).parent_path() / "examples" / "add.wasm";
  ASSERT_TRUE(fs::exists(module)) << module << " was not built";
  const std::string expr = "app:[limits, file:\"" + module.string() + "\", u8:200, u8:100]";
  EXPECT_EQ(ok({"eval", "--label", "sum", expr}), Name::blob_name("\x2c").hex());  // wraps at u8
  EXPECT_THAT(ok({"why", "@sum"}), HasSubstr("procedure  Wasm module"));
  EXPECT_THAT(ok({"reproduce", "@sum"}), StartsWith("reproduced: "));
  auto again = nlohmann::json::parse(ok({"eval", "--json", expr}));
  EXPECT_EQ(again["memo_hit"], true);
}

TEST_F(CliTest, EvalOnEachEngineGivesTheSameName) {
  const fs::path module = fs::path(FIXNET_BINARY).parent_path() / "examples" / "add.wasm";
  auto expr = [&](int a) {
    return "app:[limits, file:\"" + module.string() + "\", u8:" + std::to_string(a) + ", u8:100]";
  };
  // Different arguments, so each engine really runs its computation (nothing from the memo).
  EXPECT_EQ(ok({"eval", "--engine", "interp", expr(200)}), Name::blob_name("\x2c").hex());
  EXPECT_EQ(ok({"eval", "--engine", "native", expr(201)}), Name::blob_name("\x2d").hex());
  EXPECT_EQ(ok({"eval", "--engine", "auto", expr(202)}), Name::blob_name("\x2e").hex());
  RunResult bad = fixnet({"eval", "--engine", "jit", expr(203)});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(one_line_error(bad));
  EXPECT_THAT(bad.err, HasSubstr("--engine"));
}

// Under auto, a module whose compile fails goes on in the interpreter, and the user is told once, on
// one line naming the module and why. The compiler is one that always fails ($FIXNET_CC); the module is
// add.wasm with a custom section of this test's, so no other test has it compiled.
TEST_F(CliTest, UnderAutoAFailedBackgroundCompileIsReportedOnce) {
  const fs::path add = fs::path(FIXNET_BINARY).parent_path() / "examples" / "add.wasm";
  const std::string module = read_file(add) + std::string("\x00\x0d\x0cnot-compiled", 15);
  write_file(dir_ / "late.wasm", module);
  ::setenv("FIXNET_CC", "/bin/false", 1);
  // Two applications of the module in one evaluation: two interpreted calls, one report.
  const RunResult r = fixnet({"eval", "--engine", "auto",
                              "[strict:app:[limits, file:late.wasm, u8:2, u8:3], "
                              "strict:app:[limits, file:late.wasm, u8:4, u8:3]]"});
  const RunResult native = fixnet({"eval", "--engine", "native", "app:[limits, file:late.wasm, u8:5, u8:3]"});
  ::unsetenv("FIXNET_CC");
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string sums = ok({"eval", "--engine", "interp", "[u8:5, u8:7]"});
  EXPECT_EQ(trimmed(r.out), sums);  // computed by the interpreter
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_THAT(r.err, StartsWith("fixnet: the background compile of Wasm module " +
                                Name::blob_name(module).short_hex(12) + " failed"));
  EXPECT_THAT(r.err, HasSubstr("/bin/false"));  // the reason: the compiler that failed
  EXPECT_TRUE(one_line_error(native)) << "native has no interpreter to fall back on: " << native.err;
}

// ---- why / reproduce ---------------------------------------------------------------------------

TEST_F(CliTest, WhyExplainsTheChainAndReproduceChecksIt) {
  const std::string inner = "app:[limits, native:concat, \"a\", \"b\"]";
  const std::string outer = "app:[limits, native:concat, strict:" + inner + ", \"c\"]";
  const std::string result = ok({"eval", "--label", "abc", outer});
  ASSERT_EQ(result, Name::blob_name("abc").hex());

  const std::string why = ok({"why", "@abc"});
  EXPECT_THAT(why, StartsWith(result + " = force(Application "));
  EXPECT_THAT(why, HasSubstr("procedure  native:concat"));
  EXPECT_THAT(why, HasSubstr("limits(mem=default, fuel=default)"));
  EXPECT_THAT(why, HasSubstr("Strict Application"));
  // The inner application's result is explained too, indented below it.
  EXPECT_THAT(why, HasSubstr("    " + Name::blob_name("ab").short_hex() + " = force(Application "));

  auto j = nlohmann::json::parse(ok({"why", "--json", result}));
  EXPECT_EQ(j["name"], result);
  EXPECT_EQ(j["produced_by"]["relation"], "Think");
  EXPECT_EQ(j["produced_by"]["key_kind"], "Application");
  auto inputs = j["produced_by"]["inputs"];
  ASSERT_EQ(inputs.size(), 4u);
  EXPECT_EQ(inputs[1]["description"], "native:concat");
  EXPECT_EQ(inputs[2]["value"], Name::blob_name("ab").hex());
  EXPECT_EQ(inputs[2]["origin"]["produced_by"]["key_kind"], "Application");

  EXPECT_EQ(ok({"reproduce", "@abc"}), "reproduced: " + result + " (same bytes)");
  auto rj = nlohmann::json::parse(ok({"reproduce", "--json", result}));
  EXPECT_EQ(rj["same"], true);
  EXPECT_EQ(rj["rerun"], result);
  // Asking about the computation itself works as well as asking about its result.
  const std::string key = j["produced_by"]["key"];
  EXPECT_THAT(ok({"why", key}), StartsWith(result + " = force(Application"));
  EXPECT_EQ(ok({"reproduce", key}), "reproduced: " + result + " (same bytes)");
}

TEST_F(CliTest, WhyOfAnAddedObject) {
  write_file(dir_ / "f", "added, not computed, and long enough");
  const std::string hex = ok({"add", "f"});
  EXPECT_EQ(ok({"why", hex}),
            hex + ": no recorded computation produced it (it was added or written directly)");
  auto j = nlohmann::json::parse(ok({"why", "--json", hex}));
  EXPECT_TRUE(j["produced_by"].is_null());
  RunResult r = fixnet({"reproduce", hex});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("nothing to re-run"));
}

TEST_F(CliTest, ReproduceReportsAMismatch) {
  const std::string result = ok({"eval", "app:[limits, native:concat, \"x\", \"y\"]"});
  auto j = nlohmann::json::parse(ok({"why", "--json", result}));
  const Name key = Name::from_hex(j["produced_by"]["key"].get<std::string>());
  // Forge a record: the same computation "produced" something else.
  const Name forged = Name::blob_name("forged");
  {
    auto repository = Repository::open(repo());
    repository->put(Relation::Think, key, forged);
    repository->flush();
  }
  RunResult r = fixnet({"reproduce", forged.hex()});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "MISMATCH: recorded " + forged.hex() + ", re-run gave " + result + "\n");
  EXPECT_TRUE(one_line_error(r));
}

// ---- gc / fsck ---------------------------------------------------------------------------------

TEST_F(CliTest, GcKeepsLabelledAndRemovesTheRest) {
  write_file(dir_ / "keep", std::string(100, 'k'));
  write_file(dir_ / "drop", std::string(100, 'd'));
  const std::string keep = ok({"add", "--label", "keep", "keep"});
  const std::string drop = ok({"add", "drop"});
  const std::string computed =
      ok({"eval", "app:[limits, native:concat, \"" + std::string(40, 'c') + "\", \"!\"]"});

  const std::string dry = ok({"gc", "-n"});
  EXPECT_THAT(dry, HasSubstr("would remove " + drop));
  EXPECT_THAT(dry, HasSubstr("would remove " + computed));
  EXPECT_THAT(dry, Not(HasSubstr(keep)));
  EXPECT_EQ(ok({"cat", drop}), std::string(100, 'd'));  // the dry run removed nothing

  auto j = nlohmann::json::parse(ok({"gc", "--json"}));
  EXPECT_EQ(j["dry_run"], false);
  EXPECT_GE(j["objects_removed"].size(), 2u);
  EXPECT_GE(j["bytes_removed"].get<uint64_t>(), 100u);

  RunResult r = fixnet({"cat", drop});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_EQ(ok({"cat", "@keep"}), std::string(100, 'k'));
  EXPECT_THAT(ok({"fsck"}), HasSubstr("no problems"));
  EXPECT_THAT(ok({"gc"}), StartsWith("removed 0 objects"));
}

TEST_F(CliTest, FsckOfAHealthyRepository) {
  fs::create_directories(dir_ / "d");
  write_file(dir_ / "d/f", std::string(5000, 'f'));
  ok({"add", "--label", "d", "d"});
  ok({"eval", "--label", "r", "app:[limits, native:concat, \"p\", \"q\"]"});
  const std::string out = ok({"fsck"});
  EXPECT_THAT(out, HasSubstr("no problems"));
  auto j = nlohmann::json::parse(ok({"fsck", "--json"}));
  EXPECT_EQ(j["ok"], true);
  EXPECT_GE(j["objects_checked"].get<uint64_t>(), 3u);
  EXPECT_EQ(j["labels_checked"], 2);
  EXPECT_TRUE(j["problems"].empty());
}

}  // namespace
}  // namespace fixnet::cli::testing
