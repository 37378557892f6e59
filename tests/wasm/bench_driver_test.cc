// Measurements for issue 3's `fixnet bench invoke|eval|compile` (the bench/ command itself lives with
// the CLI): disabled tests that print figures, run with
//   ./build/tests/wasm_tests --gtest_also_run_disabled_tests --gtest_filter='WasmBench.*'
// They assert nothing about speed (machines differ); they check the work done is the work meant.
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "wasm/guarded_call.h"
#include "wasm/toolchain.h"
#include "wasm_test_util.h"

extern char** environ;

namespace fixnet::wasm::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Median over `rounds` of the mean ns per call of `batch` calls of fn.
template <class F>
double median_ns(F&& fn, int batch, int rounds = 15) {
  std::vector<double> per_call;
  for (int r = 0; r < rounds; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < batch; ++i) fn(i);
    per_call.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count() / batch);
  }
  std::sort(per_call.begin(), per_call.end());
  return per_call[per_call.size() / 2];
}

__attribute__((noinline)) uint8_t static_add(uint8_t a, uint8_t b) { return static_cast<uint8_t>(a + b); }

struct Adder {
  virtual ~Adder() = default;
  virtual uint8_t add(uint8_t a, uint8_t b) const = 0;
};
struct U8Adder : Adder {
  uint8_t add(uint8_t a, uint8_t b) const override { return static_cast<uint8_t>(a + b); }
};
struct SaturatingAdder : Adder {
  uint8_t add(uint8_t a, uint8_t b) const override { return a + b > 255 ? 255 : static_cast<uint8_t>(a + b); }
};
// Chosen at run time, so the compiler cannot turn the virtual call into a direct one.
volatile int adder_choice = 0;
const Adder& pick_adder() {
  static U8Adder wrapping;
  static SaturatingAdder saturating;
  return adder_choice ? static_cast<const Adder&>(saturating) : wrapping;
}

volatile uint8_t sink;

class WasmBench : public WasmTest {};

TEST_F(WasmBench, DISABLED_Invoke) {
  Name add = example("add");
  Name encode = tree({limits(), add, u8(2), u8(3)});
  Invocation invocation{store, encode, add, Limits{}};
  ASSERT_EQ(runner->apply(invocation), u8(5));  // compiled and loaded before timing

  const double s = median_ns([](int i) { sink = static_add(static_cast<uint8_t>(i), 3); }, 1'000'000);
  const Adder* adder = &pick_adder();
  const double v = median_ns(
      [&](int i) {
        asm volatile("" : "+r"(adder));  // reloaded every call, as through any pointer
        sink = adder->add(static_cast<uint8_t>(i), 3);
      },
      1'000'000);
  const double runner_ns = median_ns([&](int) { sink = runner->apply(invocation).bytes()[0]; }, 200'000);
  const double dispatch_ns = median_ns([&](int) { sink = dispatcher.apply(invocation).bytes()[0]; }, 200'000);

  // The evaluator's full apply path with the memo table bypassed, so the procedure really runs.
  Evaluator no_memo(store, relations, dispatcher, pool, EvaluatorOptions{.read_memo = false});
  Name thunk = encode.application();
  const uint64_t before = no_memo.stats().applications;
  const double eval_ns = median_ns([&](int) { sink = no_memo.force(thunk).bytes()[0]; }, 200'000, 5);
  EXPECT_EQ(no_memo.stats().applications - before, 5u * 200'000u);

  // A native add program, started per call.
  TempDir dir;
  const std::string source = (dir.path() / "add.c").string(), program = (dir.path() / "add").string();
  std::ofstream(source)
      << "#include <stdlib.h>\nint main(int c, char** v) { return (atoi(v[1]) + atoi(v[2])) & 255; }\n";
  ASSERT_EQ(std::system(("cc -O2 -o " + program + " " + source).c_str()), 0);
  char arg0[] = "add", a[] = "2", b[] = "3";
  char* argv[] = {arg0, a, b, nullptr};
  auto wait_for = [](pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WEXITSTATUS(status);
  };
  const double vfork_ns = median_ns(
      [&](int) {
        pid_t pid = ::vfork();
        if (pid == 0) {
          ::execve(program.c_str(), argv, environ);
          ::_exit(127);
        }
        sink = static_cast<uint8_t>(wait_for(pid));
      },
      300, 5);
  const double spawn_ns = median_ns(
      [&](int) {
        pid_t pid = 0;
        ::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv, environ);
        sink = static_cast<uint8_t>(wait_for(pid));
      },
      300, 5);
  EXPECT_EQ(sink, 5);

  std::printf("invoke (median ns per call)\n");
  std::printf("  (a) static C function        %10.1f\n", s);
  std::printf("  (b) C++ virtual call         %10.1f\n", v);
  std::printf("  (c) WasmRunner::apply        %10.1f   c/b = %.1f\n", runner_ns, runner_ns / v);
  std::printf("      ProcedureDispatcher      %10.1f\n", dispatch_ns);
  std::printf("      Evaluator::force, no memo%10.1f\n", eval_ns);
  std::printf("  (d) vfork + exec             %10.1f   d/c = %.0f\n", vfork_ns, vfork_ns / runner_ns);
  std::printf("  (e) posix_spawn              %10.1f   e/c = %.0f\n", spawn_ns, spawn_ns / runner_ns);
}

TEST_F(WasmBench, DISABLED_Eval) {
  Name fib = example("fib"), add = example("add");
  run(fib, {u64(2), add});  // both compiled and loaded before timing
  for (uint64_t n : {30, 90}) {
    MemoryRelations fresh;
    Evaluator evaluator(store, fresh, dispatcher, pool);
    Name thunk = application(fib, {u64(n), add});
    auto start = Clock::now();
    Name value = evaluator.force(thunk);
    const double first = std::chrono::duration<double>(Clock::now() - start).count();
    start = Clock::now();
    EXPECT_EQ(evaluator.force(thunk), value);
    const double again = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    const uint64_t apps = evaluator.stats().applications;
    std::printf(
        "eval fib(%llu): %llu applications in %.3f ms = %.0f new thunks/s; from the memo table: %.2f us\n",
        static_cast<unsigned long long>(n), static_cast<unsigned long long>(apps), first * 1e3, apps / first,
        again);
  }
}

// A module of about `bytes` bytes: many small functions.
std::string big_module(size_t bytes) {
  std::string text = "(module (memory 1)\n";
  size_t i = 0;
  while (text.size() < bytes * 7) {  // the text is ~6.5 times the binary
    text += fmt::format("(func $f{} (param i32) (result i32) (local i32)\n", i);
    for (int k = 0; k < 20; ++k)
      text += fmt::format(
          "(local.set 1 (i32.add (i32.load offset={} (local.get 0)) (i32.const {})))\n"
          "(i32.store offset={} (local.get 0) (i32.mul (local.get 1) (i32.const 3)))\n",
          k * 4, i + k, k * 4 + 4);
    text += "(local.get 1))\n";
    ++i;
  }
  return wat_to_wasm(text + "(func (export \"_fixnet_apply\") (param i32) (result i32) (local.get 0)))");
}

TEST_F(WasmBench, DISABLED_Compile) {
  TempDir cache;
  for (const char* name : {"add", "fib", "curry", "map", "wordcount", "select", "forward"}) {
    Name m = example(name);
    WasmRunner first(cache.path());
    auto start = Clock::now();
    first.prepare(store, m);
    const double compile = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    WasmRunner second(cache.path());
    start = Clock::now();
    second.prepare(store, m);
    const double load = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    std::printf("compile %-10s %6llu bytes: first %8.1f ms, cached load %.3f ms\n", name,
                static_cast<unsigned long long>(m.size()), compile, load);
  }
  const std::string big = big_module(1 << 20);
  Name m = store.put_blob(big);
  auto start = Clock::now();
  GeneratedC c = translate_module(big);
  const double translate = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  WasmRunner first(cache.path());
  start = Clock::now();
  first.prepare(store, m);
  const double compile = std::chrono::duration<double>(Clock::now() - start).count();
  WasmRunner second(cache.path());
  start = Clock::now();
  second.prepare(store, m);
  const double load = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  std::printf(
      "compile big module %zu bytes (%zu bytes of C): wasm2c %.0f ms, first compile %.1f s, cached load %.3f "
      "ms\n",
      big.size(), c.source.size(), translate, compile, load);
}

}  // namespace
}  // namespace fixnet::wasm::testing

namespace fixnet::wasm::testing {
namespace {

// Where the time of an invocation goes: the guard alone, a guest that returns at once, one that reads
// one tree entry (so the store is asked for the encode tree), and add.
void empty_body(void*) {}

TEST_F(WasmBench, DISABLED_Breakdown) {
  auto per_call = [](auto&& fn) { return median_ns([&](int) { fn(); }, 500'000, 7); };
  std::printf("breakdown (median ns per call)\n");
  std::printf("  run_guarded, empty body      %8.1f\n",
              per_call([] { sink = static_cast<uint8_t>(run_guarded(empty_body, nullptr)); }));
  Name identity =
      module(with_imports(R"((func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))"));
  Invocation i1{store, tree({limits(), identity}), identity, Limits{}};
  runner->apply(i1);
  std::printf("  guest returning at once      %8.1f\n",
              per_call([&] { sink = runner->apply(i1).bytes()[0]; }));
  Name entry = module(with_imports(
      R"((func (export "_fixnet_apply") (param i32) (result i32)
            (call $tree_entry (local.get 0) (i64.const 0))))"));
  Invocation i2{store, tree({limits(), entry}), entry, Limits{}};
  runner->apply(i2);
  std::printf("  guest reading one entry      %8.1f\n",
              per_call([&] { sink = runner->apply(i2).bytes()[0]; }));
  std::printf("  MemoryStore::get_tree alone  %8.1f\n",
              per_call([&] { sink = static_cast<uint8_t>(store.get_tree(i2.encode)->size()); }));
  Name add = example("add");
  Invocation i3{store, tree({limits(), add, u8(2), u8(3)}), add, Limits{}};
  runner->apply(i3);
  std::printf("  add (8 guest API calls)      %8.1f\n",
              per_call([&] { sink = runner->apply(i3).bytes()[0]; }));
}

// The runner's apply alone, for a profiler: perf record ./wasm_tests ... WasmBench.DISABLED_ApplyLoop
TEST_F(WasmBench, DISABLED_ApplyLoop) {
  Name add = example("add");
  Invocation invocation{store, tree({limits(), add, u8(2), u8(3)}), add, Limits{}};
  for (int i = 0; i < 5'000'000; ++i) sink = runner->apply(invocation).bytes()[0];
  EXPECT_EQ(sink, 5);
}

}  // namespace
}  // namespace fixnet::wasm::testing

namespace fixnet::wasm::testing {
namespace {

// fib through the evaluator, repeatedly and without memo, for a profiler.
TEST_F(WasmBench, DISABLED_FibLoop) {
  Name fib = example("fib"), add = example("add");
  run(fib, {u64(1), add});
  for (int i = 0; i < 200; ++i) {
    MemoryRelations fresh;
    Evaluator evaluator(store, fresh, dispatcher, pool);
    evaluator.force(application(fib, {u64(30), add}));
  }
}

}  // namespace
}  // namespace fixnet::wasm::testing
