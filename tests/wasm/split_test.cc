// Modules with much code are compiled as several C units (c_split.h): the cut follows wasm2c's
// structure and refuses any other, a split module behaves exactly like one compiled whole (indirect
// calls, passive segments, table.init, the depth limit, resets), nothing it shares between units is
// visible outside its object, and a compile of several units reports progress. (A killed compile:
// toolchain_test.cc.)
#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>

#include "wasm/c_split.h"
#include "wasm/toolchain.h"
#include "wasm_test_util.h"

namespace fixnet::wasm::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// Indirect calls through a table filled by an active and a passive element segment, a passive data
// segment, a mutable global, a store, a call with a parameter list wasm2c wraps over two lines, and
// recursion `n` deep.
std::string busy_module(int constant = 5) {
  return with_imports(fmt::format(R"(
    (type $t (func (param i64) (result i64)))
    (table 4 funcref)
    (elem (i32.const 0) func $inc)
    (elem $e func $double $triple)
    (data $d "\07\00\00\00\00\00\00\00")
    (global $g (mut i64) (i64.const {}))
    (func $inc (param i64) (result i64) (i64.add (local.get 0) (i64.const 1)))
    (func $double (param i64) (result i64) (i64.mul (local.get 0) (i64.const 2)))
    (func $triple (param i64) (result i64) (i64.mul (local.get 0) (i64.const 3)))
    (func $many (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i64)
      (i64.extend_i32_u (i32.add (local.get 0) (local.get 11))))
    (func $depth (param i64) (result i64)
      (if (result i64) (i64.eqz (local.get 0))
        (then (i64.const 0))
        (else (i64.add (i64.const 1) (call $depth (i64.sub (local.get 0) (i64.const 1)))))))
    (func (export "_fixnet_apply") (param $e i32) (result i32)
      (local $n i64) (local $x i64)
      (local.set $n (call $blob_u64 (call $tree_entry (local.get $e) (i64.const 2))))
      (memory.init $d (i32.const 64) (i32.const 0) (i32.const 8))
      (table.init $e (i32.const 1) (i32.const 0) (i32.const 2))
      (local.set $x (i64.load (i32.const 64)))
      (local.set $x (call_indirect (type $t) (local.get $x) (i32.const 0)))
      (local.set $x (call_indirect (type $t) (local.get $x) (i32.const 1)))
      (local.set $x (call_indirect (type $t) (local.get $x) (i32.const 2)))
      (global.set $g (i64.add (global.get $g) (local.get $x)))
      (global.set $g (i64.add (global.get $g) (call $many (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const 0))))
      (i64.store (i32.const 128) (global.get $g))
      (call $blob_from_u64 (i64.add (global.get $g) (call $depth (local.get $n))) (i32.const 8))))",
                                  constant));
}
// (7 + 1) * 2 * 3 = 48, plus the global's start value, plus the recursion depth.
uint64_t busy_result(uint64_t n, uint64_t constant = 5) { return 48 + constant + n; }

size_t count(std::string_view text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(SplitC, CutsTheModuleAlongItsFunctions) {
  GeneratedC c = translate_module(wat_to_wasm(busy_module()), SplitLimits{1, size_t{1} << 30});
  ASSERT_EQ(c.not_split, "");
  // One unit per function (a unit is closed as soon as it holds a byte), each after the shared header.
  ASSERT_EQ(c.parts.size(), 6u);
  for (const CFunctionPart& part : c.parts) {
    EXPECT_EQ(part.functions, 1u);
    EXPECT_TRUE(part.text.starts_with("#include \"module_shared.h\"\n")) << part.text;
    EXPECT_EQ(count(part.text, "(Z_m_instance_t* instance"), 1u) << part.text;
    EXPECT_THAT(part.text, Not(HasSubstr("\nstatic "))) << "definitions are hidden, not static";
  }
  EXPECT_TRUE(std::any_of(c.parts.begin(), c.parts.end(),
                          [](const CFunctionPart& p) { return p.text.find(", \n") != std::string::npos; }))
      << "a definition whose parameters wasm2c wrapped";
  // Defined once in the main unit, declared extern and hidden for the others.
  EXPECT_THAT(c.shared, HasSubstr("extern FIXNET_SHARED u32 func_types["));
  EXPECT_THAT(c.shared, HasSubstr("extern FIXNET_SHARED const u8 data_segment_data_"));
  EXPECT_THAT(c.shared, HasSubstr("extern FIXNET_SHARED const wasm_elem_segment_expr_t elem_segment_exprs_"));
  EXPECT_THAT(c.shared, HasSubstr("#define wasm_rt_call_stack_depth (instance->w2c_"));
  EXPECT_THAT(c.source, HasSubstr("\nu32 func_types["));
  EXPECT_THAT(c.source, HasSubstr("fixnet_wasm_bind_v1"));
  EXPECT_THAT(c.source, Not(HasSubstr("FUNC_PROLOGUE;"))) << "no function body in the main unit";
}

TEST(SplitC, PutsHugeFunctionsInUnitsOfTheirOwn) {
  const std::string wasm = wat_to_wasm(busy_module());
  GeneratedC all_huge = translate_module(wasm, SplitLimits{1, 1});
  ASSERT_EQ(all_huge.parts.size(), 6u);
  for (const CFunctionPart& part : all_huge.parts) EXPECT_TRUE(part.huge);
  GeneratedC none_huge = translate_module(wasm, SplitLimits{1, size_t{1} << 30});
  for (const CFunctionPart& part : none_huge.parts) EXPECT_FALSE(part.huge);
}

TEST(SplitC, SmallModulesStayOneUnit) {
  GeneratedC c = translate_module(wat_to_wasm(busy_module()));
  EXPECT_TRUE(c.parts.empty());
  EXPECT_THAT(c.not_split, HasSubstr("bytes of C, under"));
  EXPECT_THAT(c.source, HasSubstr("#define wasm_rt_call_stack_depth (*Z_mZ___fixnet_depth(instance))"));
}

// Real third-party programs, when scripts/fetch-wasi-programs has fetched them: their C is of the
// shape the cut expects (a refusal would compile them as one unit, minutes and GBs for nextpnr).
TEST(SplitC, CutsFetchedPrograms) {
  const char* home = std::getenv("HOME");
  const fs::path dir = fs::path(home ? home : "/") / ".cache/fixnet/wasi-programs";
  int tried = 0;
  for (const char* name : {"nextpnr-ice40", "icepack"}) {
    const fs::path file = dir / name / (std::string(name) + ".wasm");
    if (!fs::exists(file)) continue;
    ++tried;
    GeneratedC c = translate_module(read_file(file), SplitLimits{kPartBytes, kHugeFunctionBytes});
    EXPECT_EQ(c.not_split, "") << name;
    EXPECT_GE(c.parts.size(), 1u) << name;
  }
  if (tried == 0) GTEST_SKIP() << "no program fetched (scripts/fetch-wasi-programs)";
}

TEST(SplitC, RefusesTextOfAnotherShape) {
  // Real wasm2c output, then damaged in the ways a different writer version could differ.
  GeneratedC whole = translate_module(wat_to_wasm(busy_module()));
  // The one-unit source is fixnet's defines, wasm2c's text, then the data table and the glue.
  const std::string text = whole.source.substr(0, whole.source.find("#include <stdint.h>\n#define FIXNET_DATA_SEGMENTS"));
  const SplitLimits limits{1, size_t{1} << 30};
  ASSERT_TRUE(std::holds_alternative<SplitC>(split_c(text, 6, limits)));

  auto why = [&](const std::string& changed, size_t functions = 6) {
    auto result = split_c(changed, functions, limits);
    return std::holds_alternative<std::string>(result) ? std::get<std::string>(result) : std::string("split");
  };
  EXPECT_THAT(why(text, 7), HasSubstr("6 function declarations for 7 functions"));
  EXPECT_THAT(why(text, 0), HasSubstr("no function"));
  std::string with_state = text;
  with_state.insert(with_state.find("static bool s_module_initialized"), "static int counter;\n");
  EXPECT_THAT(why(with_state), HasSubstr("file-scope variable in the prelude: static int counter;"));
  std::string no_flag = text;
  no_flag.replace(no_flag.find("static bool s_module_initialized"), 6, "extern");
  EXPECT_THAT(why(no_flag), HasSubstr("module-state flag"));
  std::string unbalanced = text;
  const size_t body = unbalanced.find("FUNC_PROLOGUE;\n");
  unbalanced.insert(body, "{\n");
  EXPECT_NE(why(unbalanced), "split");
  std::string extra_variable = text;
  extra_variable.insert(extra_variable.find("static void init_memories"), "static u32 shared_state;\n");
  EXPECT_THAT(why(extra_variable), HasSubstr("unexpected file-scope variable: static u32 shared_state;"));
}

// Split compiles: every unit a few functions (FIXNET_WASM_PART_KB=1), in a cache of their own.
struct OwnCache {
  TempDir cache;
};
class SplitCompileTest : protected OwnCache, public WasmTest {
 protected:
  SplitCompileTest() : WasmTest(cache.path()) { ::setenv("FIXNET_WASM_PART_KB", "1", 1); }
  ~SplitCompileTest() override { ::unsetenv("FIXNET_WASM_PART_KB"); }
  fs::path artifact_of(Name m) {
    return runner->toolchain().artifact(m, [] () -> BlobData { throw std::logic_error("not compiled"); });
  }
};

TEST_F(SplitCompileTest, RunsLikeTheWholeModule) {
  const Name m = blob(wat_to_wasm(busy_module()));
  EXPECT_EQ(from_le(bytes(run(m, {u64(10)}))), busy_result(10));
  EXPECT_EQ(from_le(bytes(run(m, {u64(11)}))), busy_result(11)) << "the instance was reset";
  EXPECT_EQ(from_le(bytes(run(m, {u64(1000)}))), busy_result(1000));
  EXPECT_THAT(error_of(run(m, {u64(1100)})), HasSubstr("call stack exhausted"));
  EXPECT_EQ(from_le(bytes(run(m, {u64(12)}))), busy_result(12));
  // The object was linked from several units (their names are in its symbol table).
  const std::string object = read_file(artifact_of(m));
  EXPECT_THAT(object, HasSubstr("part0.c"));
  EXPECT_THAT(object, HasSubstr("part1.c"));
  EXPECT_THAT(runner->toolchain().version(), HasSubstr("units of 1024 bytes"));
}

TEST_F(SplitCompileTest, SharesNothingOutsideItsObject) {
  // Two split modules with the same function names in one process: each runs its own code.
  const Name a = blob(wat_to_wasm(busy_module(5)));
  const Name b = blob(wat_to_wasm(busy_module(500)));
  EXPECT_EQ(from_le(bytes(run(a, {u64(3)}))), busy_result(3, 5));
  EXPECT_EQ(from_le(bytes(run(b, {u64(3)}))), busy_result(3, 500));
  EXPECT_EQ(from_le(bytes(run(a, {u64(4)}))), busy_result(4, 5));
  void* handle = ::dlopen(artifact_of(a).c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << ::dlerror();
  EXPECT_NE(::dlsym(handle, "fixnet_wasm_bind_v1"), nullptr);
  for (const char* shared : {"func_types", "w2c_f1", "w2c_f2", "Z_m_instantiate", "wasm_rt_trap"})
    EXPECT_EQ(::dlsym(handle, shared), nullptr) << shared << " is visible";
  ::dlclose(handle);
}

TEST_F(SplitCompileTest, ReportsProgressUnitByUnit) {
  std::vector<std::pair<uint64_t, uint64_t>> reports;
  std::mutex mutex;
  runner->toolchain().set_progress([&](Name, uint64_t done, uint64_t total) {
    std::lock_guard lock(mutex);
    reports.emplace_back(done, total);
  });
  const Name m = blob(wat_to_wasm(busy_module()));
  EXPECT_EQ(from_le(bytes(run(m, {u64(1)}))), busy_result(1));
  ASSERT_GE(reports.size(), 3u);
  const uint64_t total = reports.front().second;
  EXPECT_GE(total, 3u) << "main unit, at least one function unit, the link";
  EXPECT_EQ(reports.front().first, 0u);
  for (size_t i = 1; i < reports.size(); ++i) {
    EXPECT_EQ(reports[i].second, total);
    EXPECT_GE(reports[i].first, reports[i - 1].first);
  }
  EXPECT_EQ(reports.back().first, total);
  EXPECT_EQ(reports.size(), total + 1) << "once at the start, once per unit, once for the link";
}

// A machine compiles a function unit once: a second repository's toolchain (a cache of its own, a
// work directory of its own) gets every part from ccache and links an object that runs the same.
TEST_F(SplitCompileTest, ASecondRepositoryTakesItsUnitsFromCcache) {
  if (std::system("command -v ccache >/dev/null") != 0) GTEST_SKIP() << "no ccache on PATH (scripts/setup installs it)";
  TempDir ccache_dir, second_cache;
  struct PrivateCcache {  // undone however the test ends: later tests must not use a removed directory
    explicit PrivateCcache(const fs::path& dir) { ::setenv("CCACHE_DIR", dir.c_str(), 1); }
    ~PrivateCcache() { ::unsetenv("CCACHE_DIR"); }
  } private_ccache(ccache_dir.path());
  const std::string wasm = wat_to_wasm(busy_module(7));
  const Name m = blob(wasm);
  EXPECT_EQ(from_le(bytes(run(m, {u64(9)}))), busy_result(9, 7));
  auto stats = [] {
    std::map<std::string, uint64_t> out;
    std::string text;
    FILE* p = ::popen("ccache --print-stats", "r");
    for (char buf[4096]; p && std::fgets(buf, sizeof buf, p);) text += buf;
    if (p) ::pclose(p);
    std::istringstream lines(text);
    std::string key;
    uint64_t value;
    while (lines >> key >> value) out[key] = value;
    return out;
  };
  const auto first = stats();
  EXPECT_GE(first.at("cache_miss"), 2u) << "at least two function units went through ccache";
  EXPECT_EQ(first.at("direct_cache_hit") + first.at("preprocessed_cache_hit"), 0u);

  Toolchain other(second_cache.path());
  const fs::path artifact = other.artifact(m, [&] { return std::make_shared<const std::string>(wasm); });
  const auto second = stats();
  EXPECT_EQ(second.at("direct_cache_hit") + second.at("preprocessed_cache_hit"), first.at("cache_miss"))
      << "every unit compiled the first time was a hit the second";
  EXPECT_EQ(second.at("cache_miss"), first.at("cache_miss"));
  void* handle = ::dlopen(artifact.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << ::dlerror();
  EXPECT_NE(::dlsym(handle, "fixnet_wasm_bind_v1"), nullptr);
  ::dlclose(handle);
}

}  // namespace
}  // namespace fixnet::wasm::testing
