// WasmRunner through the real Evaluator: results, fresh state per invocation, limits, and that every
// trap and misuse becomes a memoized error value naming it (docs/wasm.md, "Traps").
#include <thread>

#include "wasm_test_util.h"

namespace fixnet::wasm::testing {
namespace {

// add(u8, u8) -> u8, through the guest API's small-integer calls.
constexpr const char* kAdd = R"(
  (func (export "_fixnet_apply") (param $e i32) (result i32)
    (call $blob_from_u64
      (i64.and (i64.add (call $blob_u64 (call $tree_entry (local.get $e) (i64.const 2)))
                        (call $blob_u64 (call $tree_entry (local.get $e) (i64.const 3))))
               (i64.const 255))
      (i32.const 1))))";

// Increments a global and a memory word, returns global * 100 + word: 101 on every fresh instance.
constexpr const char* kCounter = R"(
  (global $g (mut i64) (i64.const 0))
  (func (export "_fixnet_apply") (param $e i32) (result i32)
    (global.set $g (i64.add (global.get $g) (i64.const 1)))
    (i64.store (i32.const 1024) (i64.add (i64.load (i32.const 1024)) (i64.const 1)))
    (call $blob_from_u64 (i64.add (i64.mul (global.get $g) (i64.const 100)) (i64.load (i32.const 1024)))
                         (i32.const 8))))";

// A procedure whose body is `body`, returning an empty Blob if it gets that far.
std::string trapping(std::string_view body) {
  return with_imports(
      std::string(R"((func (export "_fixnet_apply") (param $e i32) (result i32) (local $i i32) )") +
      std::string(body) + " (call $blob_from_u64 (i64.const 0) (i32.const 0)))");
}

class RunnerTest : public EngineTest {
 protected:
  // The error message of running a procedure made of `body` (with one argument, `arg`).
  std::string trap_of(std::string_view body, Name lim = limits(), std::vector<Name> args = {}) {
    Name result = run(module(trapping(body)), std::move(args), lim);
    EXPECT_TRUE(is_error_value(store, result)) << "expected a trap from: " << body;
    return error_of(result);
  }
};

TEST_P(RunnerTest, AddsTwoU8Literals) {
  Name add = module(with_imports(kAdd));
  Name result = run(add, {u8(200), u8(100)});
  ASSERT_TRUE(result.is_blob()) << error_of(result);
  EXPECT_EQ(bytes(result), std::string(1, static_cast<char>(44)));
  EXPECT_EQ(bytes(run(add, {u8(1), u8(2)})), std::string(1, '\3'));
}

// The evaluator passes the encode tree's entries along (Invocation::entries); the guest reads them
// there, without the store: here the encode tree is not even in the store.
TEST_P(RunnerTest, ReadsTheEncodeTreeFromTheInvocationsEntries) {
  Name add = module(with_imports(kAdd));
  const std::vector<Name> entries{limits(), add, u8(7), u8(8)};
  const Name encode = Name::tree_name(entries);
  ASSERT_FALSE(store.contains(encode));
  EXPECT_EQ(runner->apply(Invocation{store, encode, add, Limits{}, entries}),
            Name::literal(std::string(1, '\x0f')));
  // Without them, the runner asks the store (which lacks this tree).
  EXPECT_THROW(runner->apply(Invocation{store, encode, add, Limits{}}), NotFoundError);
  EXPECT_EQ(runner->apply(Invocation{store, tree(entries), add, Limits{}}),
            Name::literal(std::string(1, '\x0f')));
}

TEST_P(RunnerTest, HandlesOnlyWasmBlobs) {
  Name add = module(with_imports(kAdd));
  EXPECT_TRUE(runner->handles(store, add));
  EXPECT_FALSE(runner->handles(store, blob("fixnet-native:add")));
  EXPECT_FALSE(runner->handles(store, blob(std::string(100, 'x'))));
}

TEST_P(RunnerTest, EveryInvocationSeesFreshGlobalsAndMemory) {
  Name counter = module(with_imports(kCounter));
  for (uint64_t i = 0; i < 5; ++i) {
    // Different arguments, so each is a new computation that really runs.
    Name result = run(counter, {u64(i)});
    ASSERT_TRUE(result.is_blob()) << error_of(result);
    EXPECT_EQ(from_le(bytes(result)), 101u) << "invocation " << i;
  }
  if (engine == Engine::Native)
    EXPECT_EQ(runner->stats().instances, 1u) << "one pooled instance, reset between calls";
  else
    EXPECT_EQ(runner->stats().interpreted_calls, 5u);
}

// The same application forced again with the memo table not read (as `fixnet reproduce` does) really
// runs every time, on the thread's cached instance, and every run still sees it as instantiated.
TEST_P(RunnerTest, TheSameApplicationRunAgainSeesFreshState) {
  Evaluator again(store, relations, dispatcher, pool, EvaluatorOptions{.read_memo = false});
  const Name thunk = application(module(with_imports(kCounter)), {u64(7)});
  for (int i = 0; i < 5; ++i) {
    Name result = again.force(thunk);
    ASSERT_TRUE(result.is_blob()) << error_of(result);
    EXPECT_EQ(from_le(bytes(result)), 101u) << "call " << i;
  }
  EXPECT_EQ(again.stats().applications, 5u);
}

TEST_P(RunnerTest, MemoryGrownInOneCallIsGoneInTheNext) {
  // Returns the memory size in pages and the byte at the far end of `pages` more pages (0 if there is
  // none yet), then grows by that much and writes that byte. Small growth is zeroed on reset, large
  // growth (over 1 MiB) has its pages dropped: both must read as fresh.
  Name grower = module(with_imports(R"(
    (func (export "_fixnet_apply") (param $e i32) (result i32)
      (local $pages i32) (local $grow i32) (local $far i32)
      (local.set $pages (memory.size))
      (local.set $grow (i32.wrap_i64 (call $blob_u64 (call $tree_entry (local.get $e) (i64.const 2)))))
      (local.set $far
        (i32.sub (i32.mul (i32.add (local.get $pages) (local.get $grow)) (i32.const 65536)) (i32.const 1)))
      (drop (memory.grow (local.get $grow)))
      (if (i32.load8_u (local.get $far)) (then (unreachable)))
      (i32.store8 (local.get $far) (i32.const 7))
      (call $blob_from_u64 (i64.extend_i32_u (local.get $pages)) (i32.const 1))))"));
  const uint64_t grows[] = {1, 1, 40, 40, 1};
  for (uint64_t i = 0; i < 5; ++i) {
    Name result = run(grower, {u64(grows[i]), u64(i)});  // the index makes each a new computation
    ASSERT_TRUE(result.is_blob()) << error_of(result);
    EXPECT_EQ(bytes(result), std::string(1, '\1'));
  }
}

TEST_P(RunnerTest, LargeMemoryIsRestoredToItsImage) {
  // 32 pages (above the copy-back threshold, so pages are dropped and the image's data copied back):
  // each call reads its data byte and a zero word, then dirties both.
  Name dirty = module(with_imports(R"(
    (data (i32.const 1500000) "\2a")
    (func (export "_fixnet_apply") (param $e i32) (result i32) (local $before i64)
      (local.set $before (i64.add (i64.load8_u (i32.const 1500000)) (i64.load (i32.const 8))))
      (i32.store8 (i32.const 1500000) (i32.const 1))
      (i64.store (i32.const 8) (i64.const 1000))
      (call $blob_from_u64 (local.get $before) (i32.const 8))))",
                                   "(memory 32)"));
  for (uint64_t i = 0; i < 3; ++i) {
    Name result = run(dirty, {u64(i)});
    ASSERT_TRUE(result.is_blob()) << error_of(result);
    EXPECT_EQ(from_le(bytes(result)), 42u);
  }
}

TEST_P(RunnerTest, OnlyWrittenChunksAreRestoredAndNothingIsMissed) {
  // Each call checks that its memory is as instantiated, then writes: an i64 across the 4 KiB chunk
  // boundary at 8192 (so the second chunk is written by a store that starts in the first), a byte
  // through memory.fill, and bytes copied by the host (blob_read) into the third chunk.
  Name writer = module(with_imports(R"(
    (data (i32.const 8190) "\11\22\33\44")
    (func (export "_fixnet_apply") (param $e i32) (result i32)
      (if (i64.ne (i64.load (i32.const 8188)) (i64.const 0x0000443322110000)) (then (unreachable)))
      (if (i32.load (i32.const 12288)) (then (unreachable)))
      (if (i32.load8_u (i32.const 40000)) (then (unreachable)))
      (i64.store (i32.const 8188) (i64.const -1))
      (memory.fill (i32.const 40000) (i32.const 9) (i32.const 1))
      (call $blob_read (call $tree_entry (local.get $e) (i64.const 2))
                       (i64.const 0) (i32.const 12288) (i32.const 4))
      (call $blob_from_u64 (i64.const 1) (i32.const 1))))",
                                    "(memory 2)"));
  for (uint64_t i = 0; i < 4; ++i) {
    Name result = run(writer, {blob("abcd"), u64(i)});
    ASSERT_TRUE(result.is_blob()) << "call " << i << ": " << error_of(result);
  }
}

TEST_P(RunnerTest, ReadsAndCreatesBlobsAndTrees) {
  // Returns [arg0 ++ arg0 (via guest memory), arg1 unchanged].
  Name doubler = module(with_imports(R"(
    (func (export "_fixnet_apply") (param $e i32) (result i32) (local $b i32) (local $n i32)
      (local.set $b (call $tree_entry (local.get $e) (i64.const 2)))
      (local.set $n (i32.wrap_i64 (call $size (local.get $b))))
      (call $blob_read (local.get $b) (i64.const 0) (i32.const 100) (local.get $n))
      (call $blob_read (local.get $b) (i64.const 0) (i32.add (i32.const 100) (local.get $n)) (local.get $n))
      (i32.store (i32.const 0) (call $blob_create (i32.const 100) (i32.mul (local.get $n) (i32.const 2))))
      (i32.store (i32.const 4) (call $tree_entry (local.get $e) (i64.const 3)))
      (call $tree_create (i32.const 0) (i32.const 2))))"));
  const std::string text(40, 'q');  // canonical, stored: read through the store
  Name result = run(doubler, {blob(text), u8(9)});
  ASSERT_TRUE(result.is_tree()) << error_of(result);
  auto entries = store.get_tree(result);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ(bytes((*entries)[0]), text + text);
  EXPECT_EQ((*entries)[1], u8(9));
}

TEST_P(RunnerTest, TrapsAreErrorValuesNamingTheTrap) {
  EXPECT_THAT(trap_of("(unreachable)"), ::testing::HasSubstr("unreachable executed"));
  EXPECT_THAT(trap_of("(drop (i32.div_u (i32.const 1) (local.get $i)))"),
              ::testing::HasSubstr("division by zero"));
  EXPECT_THAT(trap_of("(drop (i32.div_s (i32.const 0x80000000) (i32.const -1)))"),
              ::testing::HasSubstr("integer overflow"));
  EXPECT_THAT(trap_of("(drop (i32.load (i32.const 65534)))"), ::testing::HasSubstr("out-of-bounds"));
  EXPECT_THAT(trap_of("(drop (i32.trunc_f32_s (f32.const nan)))"),
              ::testing::HasSubstr("invalid conversion"));
}

TEST_P(RunnerTest, TrapsAreMemoizedAndDoNotRunAgain) {
  Name thunk = application(module(trapping("(unreachable)")), {});
  Name first = evaluator->force(thunk);
  const uint64_t applications = evaluator->stats().applications;
  EXPECT_EQ(evaluator->force(thunk), first);
  EXPECT_EQ(evaluator->stats().applications, applications);
  EXPECT_EQ(relations.get(Relation::Think, thunk), first);
}

TEST_P(RunnerTest, RunawayRecursionExhaustsTheCallStack) {
  Name deep = module(with_imports(R"(
    (func $down (param i32) (result i32) (call $down (i32.add (local.get 0) (i32.const 1))))
    (func (export "_fixnet_apply") (param $e i32) (result i32) (call $down (i32.const 0))))"));
  Name result = run(deep, {}, limits(0, 1'000'000'000));
  EXPECT_THAT(error_of(result), ::testing::HasSubstr("call stack exhausted (more than 1024 nested calls)"));
  // The instance is reset (its depth counter too): the next call runs normally.
  Name add = module(with_imports(kAdd));
  EXPECT_EQ(bytes(run(add, {u8(2), u8(2)})), std::string(1, '\4'));
}

TEST_P(RunnerTest, CallDepthIsExactlyTheLimit) {
  // Recurses n times: n = 1023 fits under _fixnet_apply, 1024 does not.
  Name recurse = module(with_imports(R"(
    (func $down (param i64) (result i64)
      (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 0))
        (else (i64.add (i64.const 1) (call $down (i64.sub (local.get 0) (i64.const 1)))))))
    (func (export "_fixnet_apply") (param $e i32) (result i32)
      (call $blob_from_u64 (call $down (call $blob_u64 (call $tree_entry (local.get $e) (i64.const 2))))
                           (i32.const 8))))"));
  EXPECT_EQ(from_le(bytes(run(recurse, {u64(1022)}))), 1022u);
  EXPECT_THAT(error_of(run(recurse, {u64(1023)})), ::testing::HasSubstr("call stack exhausted"));
}

TEST_P(RunnerTest, InfiniteLoopRunsOutOfFuel) {
  const std::string loop = "(loop $forever (br $forever))";
  EXPECT_THAT(trap_of(loop, limits(0, 10'000)), ::testing::HasSubstr("fuel exhausted (limit 10000)"));
}

TEST_P(RunnerTest, FuelIsCountedTheSameWayEveryTime) {
  // A loop of n iterations: the smallest fuel that lets it finish is a pure function of n.
  Name counted = module(with_imports(R"(
    (func (export "_fixnet_apply") (param $e i32) (result i32) (local $n i64)
      (local.set $n (call $blob_u64 (call $tree_entry (local.get $e) (i64.const 2))))
      (block $done (loop $again
        (br_if $done (i64.eqz (local.get $n)))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $again)))
      (call $blob_from_u64 (i64.const 0) (i32.const 0))))"));
  // The least fuel with which n iterations finish, by bisection.
  auto least_fuel = [&](uint64_t n) {
    auto finishes = [&](uint64_t fuel) {
      return !is_error_value(store, run(counted, {u64(n)}, limits(0, fuel)));
    };
    uint64_t lo = 1, hi = 100'000;  // lo fails, hi finishes
    EXPECT_TRUE(finishes(hi));
    while (hi - lo > 1) {
      const uint64_t mid = (lo + hi) / 2;
      (finishes(mid) ? hi : lo) = mid;
    }
    return hi;
  };
  // Each iteration is charged its 8 instructions at the loop header, so 100 more iterations cost
  // exactly 800 more: counted in instructions, not time.
  const uint64_t hundred = least_fuel(100), two_hundred = least_fuel(200);
  EXPECT_EQ(two_hundred - hundred, 800u);
  EXPECT_EQ(least_fuel(100), hundred);
}

TEST_P(RunnerTest, MemoryGrowPastTheLimitFails) {
  // memory.grow's result: the old size, or -1 (as an unsigned byte 255) past the limit.
  Name grow = module(with_imports(R"(
    (func (export "_fixnet_apply") (param $e i32) (result i32)
      (call $blob_from_u64
        (i64.extend_i32_u
          (memory.grow (i32.wrap_i64 (call $blob_u64 (call $tree_entry (local.get $e) (i64.const 2))))))
        (i32.const 1))))"));
  const uint64_t four_pages = 4 * 65536;
  EXPECT_EQ(bytes(run(grow, {u8(3)}, limits(four_pages))), std::string(1, '\1'));
  EXPECT_EQ(bytes(run(grow, {u8(4)}, limits(four_pages))), std::string(1, '\xff'));
  EXPECT_EQ(bytes(run(grow, {u8(4)}, limits(5 * 65536))), std::string(1, '\1'));
}

TEST_P(RunnerTest, InitialMemoryOverTheLimitIsAnError) {
  Name big = module(with_imports(kAdd, "(memory 3)"));
  EXPECT_THAT(error_of(run(big, {u8(1), u8(1)}, limits(2 * 65536))),
              ::testing::HasSubstr("needs 196608 bytes of memory initially; the memory limit is 131072"));
  EXPECT_EQ(bytes(run(big, {u8(1), u8(1)}, limits(3 * 65536))), std::string(1, '\2'));
}

TEST_P(RunnerTest, HandleAndPointerMisuseTraps) {
  EXPECT_THAT(trap_of("(drop (call $tree_entry (i32.const 99) (i64.const 0)))"),
              ::testing::HasSubstr("handle 99 is not valid"));
  EXPECT_THAT(trap_of("(drop (call $tree_entry (local.get $e) (i64.const 7)))"),
              ::testing::HasSubstr("index 7 is out of range for a Tree of 2 entries"));
  EXPECT_THAT(trap_of("(drop (call $blob_u64 (local.get $e)))"),
              ::testing::HasSubstr("not an accessible Blob"));
  EXPECT_THAT(trap_of("(drop (call $blob_create (i32.const 65000) (i32.const 1000)))"),
              ::testing::HasSubstr("outside the module's memory"));
  EXPECT_THAT(trap_of("(call $blob_read (call $tree_entry (local.get $e) (i64.const 2)) (i64.const 0) "
                      "(i32.const 65535) (i32.const 2))",
                      limits(), {blob("ab")}),
              ::testing::HasSubstr("outside the module's memory"));
  EXPECT_THAT(trap_of("(call $blob_read (call $tree_entry (local.get $e) (i64.const 2)) (i64.const 1) "
                      "(i32.const 0) (i32.const 2))",
                      limits(), {blob("ab")}),
              ::testing::HasSubstr("bytes [1, 3) are outside a Blob of 2 bytes"));
  EXPECT_THAT(
      trap_of(
          "(i32.store (i32.const 0) (i32.const 77)) (drop (call $tree_create (i32.const 0) (i32.const 1)))"),
      ::testing::HasSubstr("fixnet_tree_create: handle 77 is not valid"));
}

TEST_P(RunnerTest, ReturningAnInvalidHandleIsAnError) {
  Name bad =
      module(with_imports(R"((func (export "_fixnet_apply") (param i32) (result i32) (i32.const 5)))"));
  EXPECT_THAT(error_of(run(bad, {})), ::testing::HasSubstr("returned handle 5, which is not valid"));
}

TEST_P(RunnerTest, AProcedureCanFailWithItsOwnMessage) {
  Name failing = module(with_imports(R"(
    (data (i32.const 0) "no\ngood")
    (func (export "_fixnet_apply") (param i32) (result i32)
      (call $fail (i32.const 0) (i32.const 7)) (i32.const 0)))"));
  EXPECT_THAT(error_of(run(failing, {})), ::testing::HasSubstr("failed: no good"));
}

TEST_P(RunnerTest, RefContentsAreNotAccessible) {
  // The argument arrives as a Ref (a Shallow encode): its size is known, its bytes are not.
  Name size_of = module(with_imports(R"(
    (func (export "_fixnet_apply") (param $e i32) (result i32)
      (call $blob_from_u64 (call $size (call $tree_entry (local.get $e) (i64.const 2))) (i32.const 8))))"));
  Name read = module(with_imports(R"(
    (func (export "_fixnet_apply") (param $e i32) (result i32)
      (call $blob_from_u64 (call $blob_u64 (call $tree_entry (local.get $e) (i64.const 2)))
                           (i32.const 8))))"));
  Name data = blob(std::string(1000, 'z'));
  Name shallow = data.identification().shallow();
  EXPECT_EQ(from_le(bytes(run(size_of, {shallow}))), 1000u);
  EXPECT_THAT(error_of(run(read, {shallow})),
              ::testing::HasSubstr("Ref to a Blob (its contents are not accessible)"));
}

TEST_P(RunnerTest, InstantiationTrapIsAnError) {
  Name bad = module(with_imports(kAdd, "(memory 1) (data (i32.const 65535) \"xy\")"));
  EXPECT_THAT(error_of(run(bad, {u8(1), u8(2)})), ::testing::HasSubstr("is outside the initial memory"));
}

TEST_P(RunnerTest, ManyThreadsRunTheSameAndDifferentProceduresAtOnce) {
  Name add = module(with_imports(kAdd));
  Name counter = module(with_imports(kCounter));
  ASSERT_FALSE(is_error_value(store, run(add, {u8(0), u8(0)})));  // compiled before the race
  ASSERT_FALSE(is_error_value(store, run(counter, {u64(999)})));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const uint8_t a = static_cast<uint8_t>(i), b = static_cast<uint8_t>(t);
        Invocation add_call{store, tree({limits(), add, u8(a), u8(b)}), add, Limits{}};
        if (runner->apply(add_call) != u8(static_cast<uint8_t>(a + b))) ++wrong;
        Invocation counter_call{store, tree({limits(), counter, u64(i)}), counter, Limits{}};
        if (from_le(bytes(runner->apply(counter_call))) != 101) ++wrong;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, 0);
}

FIXNET_ON_EVERY_ENGINE(RunnerTest);

}  // namespace
}  // namespace fixnet::wasm::testing
