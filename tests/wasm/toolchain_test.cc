// The compiled-artifact cache: once per machine (a second runner, or a second process, loads without
// compiling), atomic under concurrent processes, parallel across modules, environment failures
// (no compiler) never memoized, and a killed process leaves no compiler running.
#include "wasm/toolchain.h"

#include <fcntl.h>
#include <signal.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "wasm_test_util.h"

extern char** environ;

namespace fixnet::wasm::testing {
namespace {

namespace fs = std::filesystem;

// These tests are about compiling: no interpreter runs a module while it compiles.
constexpr WasmRunnerOptions kCompiledOnly{Engine::Native};

// A distinct valid module per `tag`: returns a one-byte Blob holding the tag.
std::string tagged_module(uint8_t tag) {
  return wat_to_wasm(with_imports(fmt::format(R"(
    (func (export "_fixnet_apply") (param $e i32) (result i32)
      (call $blob_from_u64 (i64.const {}) (i32.const 1))))",
                                              tag)));
}

class ToolchainTest : public ::testing::Test {
 protected:
  TempDir cache;
  MemoryStore store;

  Name put(std::string bytes) { return store.put_blob(bytes); }
  Name call(WasmRunner& runner, Name module) {
    return runner.apply(
        Invocation{store, store.put_tree({Limits{}.to_blob_name(), module}), module, Limits{}});
  }
};

TEST_F(ToolchainTest, VersionNamesWhatArtifactsDependOn) {
  Toolchain toolchain(cache.path());
  EXPECT_THAT(toolchain.version(), ::testing::HasSubstr("wabt 1.0.32"));
  EXPECT_THAT(toolchain.version(), ::testing::HasSubstr("-O2"));
  EXPECT_THAT(toolchain.version(), ::testing::HasSubstr("arch "));
}

TEST_F(ToolchainTest, ASecondRunnerLoadsTheArtifactWithoutCompiling) {
  Name m = put(tagged_module(1));
  {
    WasmRunner first(cache.path(), kCompiledOnly);
    EXPECT_EQ(call(first, m), Name::literal("\1"));
    EXPECT_EQ(first.stats().compiled, 1u);
  }
  EXPECT_EQ(artifacts_in(cache.path()), 1u);
  WasmRunner second(cache.path(), kCompiledOnly);
  const auto start = std::chrono::steady_clock::now();
  second.prepare(store, m);
  const auto load = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(second.stats().compiled, 0u);
  EXPECT_EQ(second.stats().cache_hits, 1u);
  EXPECT_EQ(call(second, m), Name::literal("\1"));
  std::printf("cached load: %.3f ms\n", std::chrono::duration<double, std::milli>(load).count());
}

TEST_F(ToolchainTest, DifferentModulesCompileInParallel) {
  WasmRunner runner(cache.path(), kCompiledOnly);
  std::vector<Name> modules;
  for (uint8_t t = 10; t < 14; ++t) modules.push_back(put(tagged_module(t)));
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (size_t i = 0; i < modules.size(); ++i)
    threads.emplace_back([&, i] {
      if (call(runner, modules[i]) != Name::literal(std::string(1, static_cast<char>(10 + i)))) ++wrong;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(runner.stats().compiled, 4u);
  EXPECT_EQ(artifacts_in(cache.path()), 4u);
}

TEST_F(ToolchainTest, TheSameModuleFromManyThreadsCompilesOnce) {
  WasmRunner runner(cache.path(), kCompiledOnly);
  Name m = put(tagged_module(20));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { call(runner, m); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(runner.stats().compiled, 1u);
  EXPECT_EQ(runner.stats().modules_loaded, 1u);
}

TEST_F(ToolchainTest, AnInvalidModuleLeavesNothingInTheCache) {
  WasmRunner runner(cache.path(), kCompiledOnly);
  Name bad = put(std::string("\0asm\1\0\0\0garbage", 15));
  EXPECT_THROW(call(runner, bad), ProcedureError);
  EXPECT_THROW(call(runner, bad), ProcedureError);  // remembered, same answer
  EXPECT_EQ(artifacts_in(cache.path()), 0u);
}

TEST_F(ToolchainTest, NoCompilerIsAnEnvironmentFailureAndNotMemoized) {
  ::setenv("FIXNET_CC", "/nonexistent/cc", 1);  // read when the first module needs the toolchain
  struct Unset {
    ~Unset() { ::unsetenv("FIXNET_CC"); }
  } unset;
  WasmRunner runner(cache.path(), kCompiledOnly);
  MemoryRelations relations;
  ThreadPool pool(1);
  Evaluator evaluator(store, relations, runner, pool);
  Name thunk = store.put_tree({Limits{}.to_blob_name(), put(tagged_module(30))}).application();
  try {
    evaluator.force(thunk);
    ADD_FAILURE() << "expected an EnvironmentError";
  } catch (const EnvironmentError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("no C compiler '/nonexistent/cc'"));
  }
  EXPECT_FALSE(relations.get(Relation::Think, thunk).has_value());
}

// --- Other processes ---------------------------------------------------------------------------------

// The child half of the process tests: loads (or compiles) the module in $FIXNET_WASM_TEST_MODULE
// with the cache $FIXNET_WASM_TEST_CACHE, runs it, and prints how many modules it compiled.
TEST(ToolchainChild, RunsAModule) {
  const char* cache = std::getenv("FIXNET_WASM_TEST_CACHE");
  const char* module = std::getenv("FIXNET_WASM_TEST_MODULE");
  if (!cache || !module) GTEST_SKIP() << "run by ToolchainProcessTest only";
  MemoryStore store;
  WasmRunner runner(cache, kCompiledOnly);
  Name m = store.put_blob(read_file(module));
  Name result = runner.apply(Invocation{store, store.put_tree({Limits{}.to_blob_name(), m}), m, Limits{}});
  EXPECT_TRUE(result.is_blob());
  std::printf("compiled=%llu\n", static_cast<unsigned long long>(runner.stats().compiled));
}

class ToolchainProcessTest : public ToolchainTest {
 protected:
  // Starts this test binary as a child running ToolchainChild.RunsAModule; its output goes to `out`.
  pid_t spawn_child(const fs::path& module, const fs::path& out) {
    std::string exe = fs::read_symlink("/proc/self/exe").string();
    std::string filter = "--gtest_filter=ToolchainChild.RunsAModule";
    std::vector<char*> argv{exe.data(), filter.data(), nullptr};
    std::vector<std::string> env_strings{"FIXNET_WASM_TEST_CACHE=" + cache.path().string(),
                                         "FIXNET_WASM_TEST_MODULE=" + module.string()};
    for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    EXPECT_EQ(posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
    return pid;
  }
  static int wait_for(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  static int compiled_by(const fs::path& out) {
    const std::string text = read_file(out);
    const size_t at = text.find("compiled=");
    return at == std::string::npos ? -1 : std::atoi(text.c_str() + at + 9);
  }
};

TEST_F(ToolchainProcessTest, AnotherProcessLoadsWithoutCompiling) {
  const fs::path module = cache.path() / "m.wasm";
  std::ofstream(module, std::ios::binary) << tagged_module(40);
  const fs::path first = cache.path() / "first.out", second = cache.path() / "second.out";
  ASSERT_EQ(wait_for(spawn_child(module, first)), 0) << read_file(first);
  ASSERT_EQ(wait_for(spawn_child(module, second)), 0) << read_file(second);
  EXPECT_EQ(compiled_by(first), 1);
  EXPECT_EQ(compiled_by(second), 0);
}

TEST_F(ToolchainProcessTest, ConcurrentProcessesCompileOnceBetweenThem) {
  const fs::path module = cache.path() / "m.wasm";
  std::ofstream(module, std::ios::binary) << tagged_module(41);
  std::vector<pid_t> children;
  std::vector<fs::path> outs;
  for (int i = 0; i < 3; ++i) {
    outs.push_back(cache.path() / fmt::format("child{}.out", i));
    children.push_back(spawn_child(module, outs.back()));
  }
  int total = 0;
  for (size_t i = 0; i < children.size(); ++i) {
    ASSERT_EQ(wait_for(children[i]), 0) << read_file(outs[i]);
    total += compiled_by(outs[i]);
  }
  EXPECT_EQ(total, 1);
  EXPECT_EQ(artifacts_in(cache.path()), 1u);
}

// Running, or stopped: not gone and not a zombie (an orphan's zombie may never be reaped here).
bool alive(pid_t pid) {
  const std::string stat = read_file(fmt::format("/proc/{}/stat", pid));
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

TEST_F(ToolchainProcessTest, KillingTheCompilingProcessKillsTheCompilerAndItsChildren) {
  // A "compiler" that starts a child of its own (as cc starts cc1) and never finishes; the module
  // split into two units (FIXNET_WASM_PART_KB=1), both compiling at once.
  const fs::path cc = cache.path() / "slowcc";
  std::ofstream(cc) << "#!/bin/sh\nsleep 600 &\necho $! >> " << (cache.path() / "children").string()
                    << "\necho $$ >> " << (cache.path() / "drivers").string() << "\nwait\n";
  fs::permissions(cc, fs::perms::owner_all);
  const fs::path module = cache.path() / "m.wasm";
  std::ofstream(module, std::ios::binary) << tagged_module(42);
  ::setenv("FIXNET_CC", cc.c_str(), 1);
  ::setenv("FIXNET_WASM_PART_KB", "1", 1);
  ::setenv("FIXNET_COMPILE_JOBS", "2", 1);
  const pid_t child = spawn_child(module, "/dev/null");
  for (const char* name : {"FIXNET_CC", "FIXNET_WASM_PART_KB", "FIXNET_COMPILE_JOBS"}) ::unsetenv(name);

  auto pids = [&](const char* file) {
    std::vector<pid_t> out;
    std::ifstream in(cache.path() / file);
    for (pid_t p; in >> p;) out.push_back(p);
    return out;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while ((pids("children").size() < 2 || pids("drivers").size() < 2) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(pids("children").size(), 2u) << "the compilers did not start";
  for (pid_t p : pids("children")) EXPECT_TRUE(alive(p));

  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  std::vector<pid_t> all = pids("children");
  for (pid_t p : pids("drivers")) all.push_back(p);
  for (pid_t p : all) {
    while (alive(p) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(alive(p)) << "process " << p << " outlived the compile";
  }
}

}  // namespace
}  // namespace fixnet::wasm::testing
