// `fixnet run`: real wasm32-wasi programs (tests/flatware/programs, built with clang + wasi-libc) run as
// Fix computations, compared byte for byte with the same programs under Node's node:wasi
// (tests/flatware/node_wasi_run.mjs), plus memoization, determinism, provenance and every bad case.
#include <sys/stat.h>

#include <map>
#include <nlohmann/json.hpp>

#include "cli_test_util.h"

namespace fixnet::cli::testing {
namespace {

const fs::path kPrograms = FIXNET_FLATWARE_PROGRAMS_DIR;
const fs::path kInputs = fs::path(FIXNET_SOURCE_DIR) / "tests/flatware/inputs";
const fs::path kNodeRunner = fs::path(FIXNET_SOURCE_DIR) / "tests/flatware/node_wasi_run.mjs";

std::string program(const std::string& name) { return (kPrograms / (name + ".wasm")).string(); }

// Runs a command (argv[0] found on PATH) with stdout and stderr captured.
RunResult run_command(const std::vector<std::string>& args) {
  TempDir capture;
  std::string command;
  for (const std::string& a : args) command += "'" + a + "' ";
  command += "> '" + (capture / "out").string() + "' 2> '" + (capture / "err").string() + "' < /dev/null";
  const int status = std::system(command.c_str());
  RunResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(capture / "out");
  r.err = read_file(capture / "err");
  return r;
}

// Every file and symbolic link under `dir`: relative path → "file:<bytes>" or "link:<target>".
std::map<std::string, std::string> listing(const fs::path& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    const std::string rel = it->path().lexically_relative(dir).string();  // links not resolved
    if (it->is_symlink())
      out[rel] = "link:" + fs::read_symlink(it->path()).string();
    else if (it->is_regular_file())
      out[rel] = "file:" + read_file(it->path());
  }
  return out;
}

struct Case {
  std::string program;
  std::vector<std::string> args;
  std::string input_dir;  // under tests/flatware/inputs, mapped as the guest's `/`
  std::string stdin_text;
};

class RunTest : public CliTest {
 protected:
  // The same case under node:wasi and under `fixnet run`; both must agree on every byte.
  void expect_same_as_node(const Case& c) {
    SCOPED_TRACE(c.program);
    TempDir work;
    write_file(work / "stdin", c.stdin_text);
    std::vector<std::string> node = {"node", kNodeRunner.string(), "--wasm", program(c.program), "--stdin",
                                     (work / "stdin").string(), "--out-dir", (work / "node-fs").string()};
    std::vector<std::string> ours = {"run", "--stdin", (work / "stdin").string(), "--out",
                                     (work / "fixnet-out").string(), "--argv0", c.program};
    if (!c.input_dir.empty()) {
      node.insert(node.end(), {"--dir", (kInputs / c.input_dir).string()});
      ours.insert(ours.end(), {"--dir", (kInputs / c.input_dir).string()});
    }
    node.insert(node.end(), {"--", c.program});
    node.insert(node.end(), c.args.begin(), c.args.end());
    ours.insert(ours.end(), {program(c.program), "--"});
    ours.insert(ours.end(), c.args.begin(), c.args.end());

    const RunResult expected = run_command(node);
    ASSERT_LT(expected.code, 125) << "node:wasi could not run it: " << expected.err;
    const RunResult got = fixnet(ours);
    EXPECT_EQ(got.code, expected.code) << got.err;
    EXPECT_EQ(got.out, expected.out);
    EXPECT_EQ(got.err, expected.err);
    // Files: what node's `/` holds after the run that the input did not hold, fixnet wrote to --out.
    std::map<std::string, std::string> changed = listing(work / "node-fs");
    if (!c.input_dir.empty())
      for (const auto& [path, what] : listing(kInputs / c.input_dir))
        if (auto it = changed.find(path); it != changed.end() && it->second == what) changed.erase(it);
    EXPECT_EQ(listing(work / "fixnet-out"), changed);
  }
};

TEST_F(RunTest, ProgramsGiveTheSameBytesAsUnderNodeWasi) {
  expect_same_as_node({"add", {"2", "40"}, "", ""});
  expect_same_as_node({"add", {"two"}, "", ""});  // usage error: stderr, exit 2
  expect_same_as_node({"exit3", {}, "", ""});
  expect_same_as_node({"files", {}, "files", ""});
  expect_same_as_node({"escape", {}, "escape", ""});
  expect_same_as_node({"sort", {"2"}, "", ""});
  expect_same_as_node({"spew", {"1"}, "", ""});
}

TEST_F(RunTest, SortPrintsWhatTheNativeBuildPrints) {
  const RunResult native = run_command({(kPrograms / "sort_native").string(), "3"});
  ASSERT_EQ(native.code, 0) << native.err;
  const RunResult r = fixnet({"run", "--argv0", "sort", program("sort"), "--", "3"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, native.out);
}

TEST_F(RunTest, ASecondIdenticalRunIsAMemoHit) {
  const RunResult first = fixnet({"run", "--json", program("add"), "--", "20", "22"});
  ASSERT_EQ(first.code, 0) << first.err;
  const auto a = nlohmann::json::parse(first.out);
  EXPECT_FALSE(a["memo_hit"].get<bool>());
  EXPECT_EQ(a["exit_code"], 0);
  const RunResult second = fixnet({"run", "--json", program("add"), "--", "20", "22"});
  const auto b = nlohmann::json::parse(second.out);
  EXPECT_TRUE(b["memo_hit"].get<bool>());
  EXPECT_EQ(a["result"], b["result"]);
  // Without --json a memo hit still prints what the program wrote.
  const RunResult third = fixnet({"run", program("add"), "--", "20", "22"});
  EXPECT_EQ(third.code, 0);
  EXPECT_EQ(third.out, "42\n");
}

// --engine as `fixnet eval` has it: the interpreter runs the program to the same bytes as compiled code.
TEST_F(RunTest, EachEngineRunsAProgramToTheSameResult) {
  std::map<std::string, nlohmann::json> results;
  for (const std::string engine : {"native", "interp", "auto"}) {
    // A fresh repository each, so none is a memo hit.
    TempDir repo;
    ASSERT_EQ(run_fixnet(repo.path(), {"init"}).code, 0);
    const RunResult r = run_fixnet(repo.path(), {"run", "--json", "--engine", engine, program("add"), "--", "20", "22"});
    ASSERT_EQ(r.code, 0) << engine << ": " << r.err;
    results[engine] = nlohmann::json::parse(r.out);
    EXPECT_FALSE(results[engine]["memo_hit"].get<bool>()) << engine;
  }
  EXPECT_EQ(results["interp"]["result"], results["native"]["result"]);
  EXPECT_EQ(results["auto"]["result"], results["native"]["result"]);
  EXPECT_EQ(results["interp"]["stdout_bytes"], 3);  // "42\n"
  {  // The option is obeyed: with no working C compiler only the interpreter runs a module not yet compiled.
    TempDir repo;
    ASSERT_EQ(run_fixnet(repo.path(), {"init"}).code, 0);
    ::setenv("FIXNET_CC", "/bin/false", 1);
    const RunResult interp = run_fixnet(repo.path(), {"run", "--engine", "interp", program("add"), "--", "1", "2"});
    const RunResult native = run_fixnet(repo.path(), {"run", "--engine", "native", program("add"), "--", "3", "4"});
    ::unsetenv("FIXNET_CC");
    EXPECT_EQ(interp.code, 0) << interp.err;
    EXPECT_EQ(interp.out, "3\n");
    EXPECT_TRUE(one_line_error(native)) << "native needs the compiler: " << native.err;
  }
  const RunResult bad = fixnet({"run", "--engine", "jit", program("add")});
  EXPECT_TRUE(one_line_error(bad));
  EXPECT_NE(bad.err.find("--engine"), std::string::npos) << bad.err;
}

TEST_F(RunTest, ClocksAndRandomnessComeFromTheInputOnly) {
  auto run = [&](std::initializer_list<std::string> extra) {
    std::vector<std::string> args = {"run"};
    args.insert(args.end(), extra);
    args.push_back(program("clockrand"));
    RunResult r = fixnet(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out;
  };
  const std::string a = run({"--seed", "1", "--time", "1700000000"});
  EXPECT_EQ(a, run({"--seed", "1", "--time", "1700000000"}));
  EXPECT_NE(a, run({"--seed", "2", "--time", "1700000000"}));
  EXPECT_NE(a, run({"--seed", "1", "--time", "1700000001"}));
  EXPECT_NE(a.find("1700000000"), std::string::npos) << a;  // realtime starts at --time
}

TEST_F(RunTest, WhyAndReproduceExplainARun) {
  ASSERT_EQ(fixnet({"run", "--label", "sum", program("add"), "--", "1", "2"}).code, 0);
  const RunResult why = fixnet({"why", "@sum"});
  EXPECT_EQ(why.code, 0) << why.err;
  EXPECT_NE(why.out.find("Application"), std::string::npos) << why.out;
  const RunResult again = fixnet({"reproduce", "@sum"});
  EXPECT_EQ(again.code, 0) << again.err;
}

TEST_F(RunTest, ProgramFailuresAreClearResults) {
  // A program exiting non-zero is a result: its code passes through.
  EXPECT_EQ(fixnet({"run", program("exit3")}).code, 3);
  // Traps, fuel, output over the limit: one line, exit 125, nothing crashes.
  RunResult trap = fixnet({"run", program("trap")});
  EXPECT_EQ(trap.code, 125);
  EXPECT_TRUE(one_line_error(trap));
  EXPECT_NE(trap.err.find("unreachable"), std::string::npos) << trap.err;
  RunResult loop = fixnet({"run", "--fuel", "10000000", program("loop")});
  EXPECT_EQ(loop.code, 125);
  EXPECT_NE(loop.err.find("fuel exhausted"), std::string::npos) << loop.err;
  RunResult spew = fixnet({"run", program("spew"), "--", "300"});
  EXPECT_EQ(spew.code, 125);
  EXPECT_NE(spew.err.find("output limit"), std::string::npos) << spew.err;
  // Memory: malloc fails at the limit, deterministically; the program reports and exits normally.
  RunResult small = fixnet({"run", "--memory", "16777216", program("oom")});
  EXPECT_EQ(small.code, 0) << small.err;
  RunResult again = fixnet({"run", "--memory", "16777216", program("oom")});
  EXPECT_EQ(small.out, again.out);
  RunResult large = fixnet({"run", "--memory", "67108864", program("oom")});
  EXPECT_NE(small.out, large.out);
  // Bad pointers to WASI calls are EFAULT, never host memory.
  RunResult bad = fixnet({"run", program("badptr")});
  EXPECT_EQ(bad.code, 0) << bad.err;
  EXPECT_NE(bad.out.find("errno 21 (EFAULT), written 0"), std::string::npos) << bad.out;
}

TEST_F(RunTest, NothingOutsideOutIsTouched) {
  TempDir host;
  fs::create_directories(host / "tree/data");
  write_file(host / "tree/data/input.txt", "some input\n");
  const auto before = listing(host.path());
  const RunResult r = fixnet({"run", "--dir", (host / "tree").string(), "--out", (host / "out").string(),
                              program("files")});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  auto after = listing(host.path());
  for (const auto& [path, what] : before) EXPECT_EQ(after[path], what) << path;
  for (const auto& [path, what] : after)
    EXPECT_TRUE(before.contains(path) || path.starts_with("out/")) << "written outside --out: " << path;
  EXPECT_TRUE(fs::exists(host / "out/out/notes.txt"));
}

TEST_F(RunTest, BadCommandLinesAreOneLineErrors) {
  TempDir other;
  write_file(other / "not.wasm", "#!/bin/sh\necho hi\n");
  const std::vector<std::vector<std::string>> cases = {
      {"run", (other / "missing.wasm").string()},
      {"run", (other / "not.wasm").string()},
      {"run", (fs::path(FIXNET_SOURCE_DIR) / "README.md").string()},
      {"run", "--dir", (other / "nope").string(), program("add")},
      {"run", "--dir", other.path().string() + ":relative", program("add")},
      {"run", "--env", "NOEQUALS", program("add")},
      {"run", "--stdin", (other / "missing").string(), program("add")},
      {"run", "--time", "yesterday", program("add")},
  };
  for (const auto& args : cases) {
    const RunResult r = fixnet(args);
    EXPECT_EQ(r.code, 125) << args[args.size() - 1] << ": " << r.err;
    EXPECT_TRUE(one_line_error(r)) << args[args.size() - 1];
  }
  // A fixnet procedure is not a WASI program.
  const RunResult procedure =
      fixnet({"run", (fs::path(FIXNET_BINARY).parent_path() / "examples/add.wasm").string()});
  EXPECT_EQ(procedure.code, 125);
  EXPECT_NE(procedure.err.find("not a WASI program"), std::string::npos) << procedure.err;
}

}  // namespace
}  // namespace fixnet::cli::testing
