// The hostile corpus (tests/wasm/hostile/): every reject_*.wat must be refused at inspection, every
// trap_*.wat must compile and trap, each with the message its first line (";; expect: ...") names.
// Malformed binaries, absurd sizes and deep nesting are generated here, since text cannot hold them.
#include <random>

#include "wasm/module_check.h"
#include "wasm_test_util.h"

namespace fixnet::wasm::testing {
namespace {

namespace fs = std::filesystem;

struct Hostile {
  fs::path path;
  std::string expect;
};

std::vector<Hostile> corpus(std::string_view prefix) {
  std::vector<Hostile> out;
  for (const auto& entry : fs::directory_iterator(fs::path(FIXNET_SOURCE_DIR) / "tests/wasm/hostile")) {
    if (!entry.path().filename().string().starts_with(prefix)) continue;
    std::string text = read_file(entry.path());
    const std::string marker = ";; expect: ";
    std::string expect = text.substr(marker.size(), text.find('\n') - marker.size());
    out.push_back({entry.path(), expect});
  }
  return out;
}

std::string rejection(std::string_view bytes) {
  try {
    check_module(bytes);
  } catch (const ProcedureError& e) {
    return e.what();
  }
  return "(accepted)";
}

class HostileTest : public EngineTest {};

TEST(HostileCorpus, IsThere) {
  EXPECT_GE(corpus("reject_").size(), 15u);
  EXPECT_GE(corpus("trap_").size(), 8u);
}

TEST(HostileCorpus, RejectedAtInspection) {
  for (const Hostile& h : corpus("reject_")) {
    SCOPED_TRACE(h.path.filename().string());
    EXPECT_THAT(rejection(wat_to_wasm(read_file(h.path))), ::testing::HasSubstr(h.expect));
  }
}

TEST_P(HostileTest, RejectionIsAMemoizedErrorValue) {
  Name start = store.put_blob(
      wat_to_wasm(read_file(fs::path(FIXNET_SOURCE_DIR) / "tests/wasm/hostile/reject_start_function.wat")));
  Name thunk = application(start, {});
  Name result = evaluator->force(thunk);
  EXPECT_THAT(error_of(result), ::testing::HasSubstr("has a start function"));
  EXPECT_EQ(relations.get(Relation::Think, thunk), result);
}

TEST_P(HostileTest, TrapsAtRun) {
  for (const Hostile& h : corpus("trap_")) {
    SCOPED_TRACE(h.path.filename().string());
    Name result = run(module(read_file(h.path)), {}, limits(0, 5'000'000));
    EXPECT_THAT(error_of(result), ::testing::HasSubstr(h.expect));
  }
}

// Inputs the fuzzer (fuzz/wasm_inspect_fuzz.cc) found crashing wabt 1.0.32 or breaking a message.
TEST(HostileBinaries, FuzzFindingsAreRejectedWithOneLine) {
  size_t n = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(FIXNET_SOURCE_DIR) / "tests/wasm/hostile")) {
    if (entry.path().extension() != ".wasm") continue;
    SCOPED_TRACE(entry.path().filename().string());
    const std::string r = rejection(read_file(entry.path()));
    EXPECT_THAT(r, ::testing::StartsWith("invalid procedure module"));
    EXPECT_EQ(r.find('\n'), std::string::npos);
    ++n;
  }
  EXPECT_GE(n, 3u);
}

TEST(HostileBinaries, MalformedBytesAreRejected) {
  const std::string valid =
      wat_to_wasm(R"((module (func (export "_fixnet_apply") (param i32) (result i32) (local.get 0))))");
  ASSERT_EQ(rejection(valid), "(accepted)");
  EXPECT_THAT(rejection(""), ::testing::HasSubstr("invalid procedure module"));
  EXPECT_THAT(rejection("\0asm"), ::testing::HasSubstr("invalid procedure module"));
  EXPECT_THAT(rejection(std::string("\0asm\2\0\0\0", 8)), ::testing::HasSubstr("invalid procedure module"));
  EXPECT_THAT(rejection("not a module at all"), ::testing::HasSubstr("invalid procedure module"));
  for (size_t cut = 1; cut < valid.size(); ++cut) {
    SCOPED_TRACE(cut);
    EXPECT_THAT(rejection(valid.substr(0, cut)), ::testing::HasSubstr("invalid procedure module"));
  }
  // Every single-byte corruption is either rejected or still a module that passes inspection.
  for (size_t i = 8; i < valid.size(); ++i)
    for (int v : {0x00, 0x7f, 0x80, 0xff}) {
      std::string bad = valid;
      bad[i] = static_cast<char>(v);
      const std::string r = rejection(bad);
      EXPECT_TRUE(r == "(accepted)" || r.starts_with("invalid procedure module")) << r;
    }
}

TEST(HostileBinaries, RandomBytesAreRejected) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes = std::string("\0asm\1\0\0\0", 8);
    const size_t n = rng() % 64;
    for (size_t j = 0; j < n; ++j) bytes += static_cast<char>(rng());
    EXPECT_THAT(rejection(bytes), ::testing::HasSubstr("invalid procedure module"));
  }
}

std::string leb(uint32_t v) {
  std::string out;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out += static_cast<char>(b | (v ? 0x80 : 0));
  } while (v);
  return out;
}

// A binary module with one function, _fixnet_apply (i32) -> i32, whose body is `locals` (the local
// declarations) and `code`: the binary encoding lets a few bytes say what text cannot say compactly.
std::string binary_module(const std::string& locals, const std::string& code) {
  const std::string body = locals + code;
  std::string m("\0asm\1\0\0\0", 8);
  m += std::string("\x01\x06\x01\x60\x01\x7f\x01\x7f", 8);        // type (i32) -> i32
  m += std::string("\x03\x02\x01\x00", 4);                        // one function of type 0
  m += std::string("\x07\x11\x01\x0d_fixnet_apply\x00\x00", 19);  // its export
  const std::string entry = leb(static_cast<uint32_t>(body.size())) + body;
  const std::string section = "\x01" + entry;
  m += "\x0a" + leb(static_cast<uint32_t>(section.size())) + section;
  return m;
}

const std::string kReturnArg("\x20\x00\x0b", 3);  // local.get 0; end

std::string module_with_locals(uint32_t locals) {
  return binary_module("\x01" + leb(locals) + "\x7f", kReturnArg);
}

std::string module_nested(uint32_t depth) {
  std::string code;
  for (uint32_t i = 0; i < depth; ++i) code += "\x02\x40";  // block (no result)
  code += std::string(depth, '\x0b');                       // end ...
  return binary_module(std::string("\x00", 1), code + kReturnArg);
}

TEST(HostileBinaries, TooManyLocalsAreRejected) {
  EXPECT_EQ(rejection(module_with_locals(100)), "(accepted)");
  EXPECT_THAT(rejection(module_with_locals(60000)), ::testing::HasSubstr("invalid procedure module"));
  EXPECT_THAT(rejection(module_with_locals(60000)), ::testing::HasSubstr("at most 50000"));
}

TEST(HostileBinaries, CodeAfterTheFunctionsEndIsRejected) {
  // local.get 0; end; i32.const 0; end — wabt 1.0.32's IR builder asserts on this.
  EXPECT_THAT(rejection(binary_module(std::string("\x00", 1), std::string("\x20\x00\x0b\x41\x00\x0b", 6))),
              ::testing::HasSubstr("instructions after the end of a function body"));
}

TEST(HostileBinaries, DeepNestingIsRejectedBeforeItCanOverflowAStack) {
  EXPECT_EQ(rejection(module_nested(1000)), "(accepted)");
  EXPECT_THAT(rejection(module_nested(5000)), ::testing::HasSubstr("nests blocks deeper than 4096"));
  EXPECT_THAT(rejection(module_nested(2'000'000)), ::testing::HasSubstr("nests blocks deeper than 4096"));
}

TEST_P(HostileTest, TheDeepestAcceptedNestingCompilesAndRuns) {
  // wabt's C writer recurses per level: the limit must leave it room on an ordinary thread's stack.
  Name result = run(store.put_blob(module_nested(4096)), {});
  EXPECT_TRUE(result.is_tree()) << error_of(result);  // returns handle 0: its own encode tree
}

FIXNET_ON_EVERY_ENGINE(HostileTest);

}  // namespace
}  // namespace fixnet::wasm::testing
