// The engines behind WasmRunner (wasm_runner.h): `auto` runs a module not yet compiled in the
// interpreter while it compiles in the background, then natively; `interp` never compiles. That the
// interpreter computes exactly what compiled code does is checked by every test of the suites run on
// both engines (FIXNET_ON_EVERY_ENGINE: runner, examples, hostile modules, programs).
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "wasm_test_util.h"

namespace fixnet::wasm::testing {
namespace {

namespace fs = std::filesystem;

// A cache of the test's own (nothing compiled yet), made before the WasmTest base that uses it.
struct OwnCache {
  TempDir cache;
};

// A C compiler that waits for a gate file before running the system's `cc`: the test decides when
// the background compile may finish. $FIXNET_CC is read when the runner first needs its toolchain.
class GatedCompiler {
 public:
  explicit GatedCompiler(const fs::path& dir) : gate_(dir / "gate"), script_(dir / "gated-cc") {
    std::ofstream(script_) << "#!/bin/sh\nwhile [ ! -e '" << gate_.string() << "' ]; do sleep 0.02; done\n"
                           << "exec cc \"$@\"\n";
    ::chmod(script_.c_str(), 0755);
    ::setenv("FIXNET_CC", script_.c_str(), 1);
  }
  ~GatedCompiler() {
    open();
    ::unsetenv("FIXNET_CC");
  }
  void open() { std::ofstream{gate_}; }

 private:
  fs::path gate_, script_;
};

class AutoEngineTest : protected OwnCache, public WasmTest {
 protected:
  AutoEngineTest() : WasmTest(cache.path(), Engine::Auto) {}
};

TEST_F(AutoEngineTest, TheFirstCallIsInterpretedWhileItCompilesAndALaterOneRunsNative) {
  GatedCompiler cc(cache.path());
  Name add = example("add");
  // The compiler waits for the gate: this result can only come from the interpreter.
  EXPECT_EQ(run(add, {u8(2), u8(3)}), u8(5));
  EXPECT_EQ(run(add, {u8(200), u8(100)}), u8(44));
  WasmRunnerStats stats = runner->stats();
  EXPECT_EQ(stats.interpreted_calls, 2u);
  EXPECT_EQ(stats.compiled, 0u);
  EXPECT_EQ(stats.modules_loaded, 0u);
  EXPECT_EQ(artifacts_in(cache.path()), 0u);

  cc.open();
  runner->prepare(store, add);  // waits for the background compile
  EXPECT_EQ(runner->stats().compiled, 1u);
  EXPECT_EQ(run(add, {u8(3), u8(4)}), u8(7));
  stats = runner->stats();
  EXPECT_EQ(stats.interpreted_calls, 2u) << "compiled code ran the third call";
  EXPECT_EQ(stats.instances, 1u);
}

TEST_F(AutoEngineTest, ALongComputationIsLeftToCompiledCode) {
  // Counts down from its argument: 8 instructions of fuel per iteration, so this many iterations need
  // more fuel than the interpreter is given under auto (and far less than the default limit).
  Name countdown = module(with_imports(R"(
    (func (export "_fixnet_apply") (param $e i32) (result i32) (local $n i64) (local $steps i64)
      (local.set $n (call $blob_u64 (call $tree_entry (local.get $e) (i64.const 2))))
      (block $done (loop $again
        (br_if $done (i64.eqz (local.get $n)))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (local.set $steps (i64.add (local.get $steps) (i64.const 1)))
        (br $again)))
      (call $blob_from_u64 (local.get $steps) (i32.const 8))))"));
  const uint64_t iterations = kAutoInterpreterFuel / 8 + 1000;
  Name result = run(countdown, {u64(iterations)});
  ASSERT_TRUE(result.is_blob()) << error_of(result);
  EXPECT_EQ(from_le(bytes(result)), iterations);
  const WasmRunnerStats stats = runner->stats();
  EXPECT_EQ(stats.interpreted_calls, 1u) << "the interpreter started it";
  EXPECT_EQ(stats.instances, 1u) << "compiled code finished it";
}

TEST_F(AutoEngineTest, AModuleCompiledOnThisMachineRunsNativeAtOnce) {
  Name add = example("add");
  {
    WasmRunner compiler(cache.path(), WasmRunnerOptions{Engine::Native});
    compiler.prepare(store, add);
  }
  EXPECT_EQ(run(add, {u8(2), u8(3)}), u8(5));
  EXPECT_EQ(runner->stats().interpreted_calls, 0u);
  EXPECT_EQ(runner->stats().cache_hits, 1u);
}

TEST_F(AutoEngineTest, AnInvalidModuleIsRefusedAsCompiledCodeWouldAndNothingCompiles) {
  Name bad = module(with_imports(R"((func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))",
                                 "(memory 1) (data (i32.const 65535) \"xy\")"));
  EXPECT_THAT(error_of(run(bad, {})), ::testing::HasSubstr("is outside the initial memory"));
  EXPECT_EQ(runner->stats().compiled, 0u);
  EXPECT_EQ(artifacts_in(cache.path()), 0u);
}

class InterpEngineTest : protected OwnCache, public WasmTest {
 protected:
  InterpEngineTest() : WasmTest(cache.path(), Engine::Interp) {}
};

TEST_F(InterpEngineTest, NeverCompiles) {
  Name fib = example("fib"), add = example("add");
  Name result = run(fib, {u64(20), add});
  ASSERT_TRUE(result.is_blob()) << error_of(result);
  EXPECT_EQ(from_le(bytes(result)), 6765u);
  runner.reset();  // no compile left running
  EXPECT_EQ(artifacts_in(cache.path()), 0u);
}

TEST(Engines, HaveOneNameEach) {
  for (Engine e : {Engine::Auto, Engine::Native, Engine::Interp}) EXPECT_EQ(engine_named(engine_name(e)), e);
  EXPECT_EQ(engine_named("jit"), std::nullopt);
}

}  // namespace
}  // namespace fixnet::wasm::testing
