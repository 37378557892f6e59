// The examples (examples/*.c, built with fixnet_add_procedure) as real Fix programs, evaluated by the
// real Evaluator with its thread pool: each test says what the example demonstrates.
#include "wasm_test_util.h"

namespace fixnet::wasm::testing {
namespace {

class ExamplesTest : public EngineTest {
 protected:
  uint64_t u64_of(Name value) {
    EXPECT_TRUE(value.is_blob()) << error_of(value);
    return value.is_blob() ? from_le(bytes(value)) : ~uint64_t{0};
  }
};

TEST_P(ExamplesTest, AddTwoU8Literals) {
  Name add = example("add");
  EXPECT_EQ(run(add, {u8(2), u8(3)}), u8(5));
  EXPECT_EQ(run(add, {u8(200), u8(100)}), u8(44));  // u8 arithmetic wraps
  EXPECT_EQ(u64_of(run(add, {u64(1), u64(2), u64(3)})), 6u);
  EXPECT_THAT(error_of(run(add, {blob("nine bytes")})), ::testing::HasSubstr("at most 8 bytes"));
}

TEST_P(ExamplesTest, FibThroughRecursiveApplications) {
  Name fib = example("fib"), add = example("add");
  EXPECT_EQ(u64_of(run(fib, {u64(0), add})), 0u);
  EXPECT_EQ(u64_of(run(fib, {u64(1), add})), 1u);
  EXPECT_EQ(u64_of(run(fib, {u64(30), add})), 832040u);
  // Memoized: each fib(k) ran once (31 of them), each add once per k >= 2 (29).
  EXPECT_EQ(evaluator->stats().applications, 31u + 29u);
  EXPECT_EQ(u64_of(run(fib, {u64(90), add})), 2880067194370816120u);
}

TEST_P(ExamplesTest, FibWithTheBuiltInAdder) {
  Name result = run(example("fib"), {u64(20), NativeProcedures::procedure_name("add")});
  EXPECT_EQ(u64_of(result), 6765u);
}

TEST_P(ExamplesTest, CurryCapturesArgumentsInAClosureTree) {
  Name curry = example("curry"), add = example("add");
  Name add3 = tree({curry, add, u64(3)});  // add of 3 arguments, none known yet
  Name partial = run(add3, {u64(10)});
  ASSERT_TRUE(partial.is_tree()) << error_of(partial);
  EXPECT_EQ(*store.get_tree(partial), (std::vector<Name>{curry, add, u64(3), u64(10)}));
  Name partial2 = run(partial, {u64(20)});
  EXPECT_EQ(store.get_tree(partial2)->size(), 5u);
  EXPECT_EQ(u64_of(run(partial2, {u64(12)})), 42u);
  // All at once, and more than enough: every argument reaches f.
  EXPECT_EQ(u64_of(run(add3, {u64(1), u64(2), u64(3), u64(4)})), 10u);
}

TEST_P(ExamplesTest, MapAppliesAProcedureToEveryEntry) {
  Name map = example("map"), curry = example("curry"), add = example("add");
  std::vector<Name> numbers;
  for (uint64_t i = 0; i < 2000; ++i) numbers.push_back(u64(i));
  Name plus_one = tree({curry, add, u64(2), u64(1)});  // a closure: x -> add(1, x)
  Name thunk = application(map, {plus_one, tree(numbers)});
  // force gives the Tree of Strict thunks (nothing mapped yet) ...
  Name lazy = force(thunk);
  ASSERT_TRUE(lazy.is_tree()) << error_of(lazy);
  EXPECT_TRUE(store.get_tree(lazy)->at(0).is_encode());
  // ... eval computes them, on the thread pool (2000 entries: more than one parallel chunk).
  Name mapped = eval(thunk);
  ASSERT_TRUE(mapped.is_tree()) << error_of(mapped);
  auto entries = store.get_tree(mapped);
  ASSERT_EQ(entries->size(), 2000u);
  for (uint64_t i = 0; i < 2000; ++i) ASSERT_EQ(from_le(bytes((*entries)[i])), i + 1) << i;
}

// The words of `text` by the obvious method, to check the example against.
uint64_t reference_count(std::string_view text) {
  uint64_t words = 0;
  bool previous_blank = true;
  for (char c : text) {
    const bool is_blank = std::isspace(static_cast<unsigned char>(c));
    if (!is_blank && previous_blank) ++words;
    previous_blank = is_blank;
  }
  return words;
}

std::string sample_text(size_t bytes) {
  static const char* kWords[] = {"fix", "point", "  ", "computation", "\n", "centric", "networking", "a"};
  std::string text;
  for (size_t i = 0; text.size() < bytes; ++i)
    text += std::string(kWords[(i * 7 + i / 3) % 8]) + (i % 5 ? " " : "");
  text.resize(bytes);
  return text;
}

TEST_P(ExamplesTest, WordcountMapsOverChunksAndMerges) {
  Name wordcount = example("wordcount"), add = example("add");
  for (size_t size : {0, 1, 100, 4096, 100'000}) {
    const std::string text = sample_text(size);
    for (uint64_t chunk : {2, 7, 1000, 1'000'000}) {
      if (size / chunk > 20000) continue;
      SCOPED_TRACE(::testing::Message() << "size " << size << " chunk " << chunk);
      EXPECT_EQ(u64_of(eval(application(wordcount, {blob(text), u64(chunk), add}))), reference_count(text));
    }
  }
  EXPECT_THAT(error_of(run(wordcount, {blob("a b"), u64(1), add})), ::testing::HasSubstr("at least 2 bytes"));
}

TEST_P(ExamplesTest, WordcountOfAShallowTextReadsOnlyTheChunks) {
  const std::string text = sample_text(300'000);
  Name big = blob(text);
  Name wordcount = example("wordcount"), add = example("add");
  Name count = eval(application(wordcount, {big.identification().shallow(), u64(64 * 1024), add}));
  EXPECT_EQ(u64_of(count), reference_count(text));
}

TEST_P(ExamplesTest, SelectReturnsARangeOfALargeInputWithoutReadingIt) {
  std::string data(8 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  Name big = blob(data);
  Name select = example("select");
  // The input is passed Shallow: the procedure holds a Ref, which it could not read if it tried.
  Name thunk = application(select, {big.identification().shallow(), u64(1'000'003), u64(1'000'013)});
  Name direct = force(thunk);
  ASSERT_TRUE(direct.is_blob()) << error_of(direct);
  EXPECT_EQ(bytes(direct), data.substr(1'000'003, 10));
  // On a Tree it selects entries the same way.
  Name entries = run(select, {tree({u8(1), u8(2), u8(3), u8(4)}), u64(1), u64(3)});
  EXPECT_EQ(*store.get_tree(entries), (std::vector<Name>{u8(2), u8(3)}));
}

TEST_P(ExamplesTest, ForwardPassesShallowDataItNeverReads) {
  const std::string text = sample_text(50'000);
  Name forward = example("forward"), wordcount = example("wordcount"), add = example("add");
  Name shallow_text = blob(text).identification().shallow();
  Name count = eval(application(forward, {wordcount, shallow_text, u64(8192), add}));
  EXPECT_EQ(u64_of(count), reference_count(text));
  // forward's own encode tree held only a Ref to the text.
  Name encode = evaluator->eval(tree({limits(), forward, wordcount, shallow_text, u64(8192), add}));
  EXPECT_TRUE(store.get_tree(encode)->at(3).is_ref());
}

FIXNET_ON_EVERY_ENGINE(ExamplesTest);

}  // namespace
}  // namespace fixnet::wasm::testing
