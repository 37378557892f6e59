// Flatware programs at the wasm level: WASI imports forwarded to a SystemCalls, proc_exit, traps,
// fresh state per run, data segments kept out of the C, and the checks that keep procedures and
// programs apart. The WASI answers themselves are part flatware's (tests/flatware).

#include "wasm/system_calls.h"
#include "wasm/toolchain.h"
#include "wasm_test_util.h"

namespace fixnet::wasm {
namespace {

using testing::WasmTest;
using ::testing::HasSubstr;

// Records every call; fd_write copies the iovecs' bytes out; proc_exit exits.
class RecordingCalls : public SystemCalls {
 public:
  uint32_t call(WasiCall call, const uint64_t* args, GuestMemory& memory) override {
    calls.push_back(std::string(wasi_call_name(call)));
    if (call == WasiCall::proc_exit) throw ProcExit{static_cast<uint32_t>(args[0])};
    if (call == WasiCall::fd_write) {
      try {
        uint32_t total = 0;
        for (uint64_t i = 0; i < args[2]; ++i) {
          const auto base = memory.load<uint32_t>(args[1] + 8 * i);
          const auto len = memory.load<uint32_t>(args[1] + 8 * i + 4);
          written += memory.read_string(base, len);
          total += len;
        }
        memory.store<uint32_t>(args[3], total);
      } catch (const GuestFault&) {
        return 21;  // EFAULT
      }
      return 0;
    }
    if (call == WasiCall::random_get) throw ProcedureError("refused by the test");
    return 52;  // ENOSYS
  }
  std::vector<std::string> calls;
  std::string written;
};

constexpr const char* kWasiImports = R"(
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
)";

std::string program(std::string_view body, std::string_view memory = "(memory (export \"memory\") 1)") {
  return std::string("(module ") + kWasiImports + std::string(memory) + "\n" + std::string(body) + ")";
}

// Writes "hello\n" (from a data segment) to fd 1, then exits with `code`.
std::string hello(int code) {
  return program(R"(
    (data (i32.const 100) "hello\n")
    (global $runs (mut i32) (i32.const 0))
    (func (export "_start")
      (global.set $runs (i32.add (global.get $runs) (i32.const 1)))
      (i32.store (i32.const 0) (i32.const 100))
      (i32.store (i32.const 4) (i32.add (i32.const 5) (global.get $runs)))  ;; 6 on a fresh instance
      (i32.store8 (i32.const 105) (i32.const 33))                            ;; "hello!" …
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (call $proc_exit (i32.const )" + std::to_string(code) + R"()))
  )");
}

class ProgramTest : public testing::EngineTest {
 protected:
  uint32_t run_program(Name p, SystemCalls& calls, Limits limits = {}) {
    return runner->run_program(store, p, limits, calls);
  }
};

TEST_P(ProgramTest, ForwardsWasiCallsAndReturnsTheExitCode) {
  Name p = module(hello(3));
  EXPECT_TRUE(runner->is_program(store, p));
  RecordingCalls calls;
  EXPECT_EQ(run_program(p, calls), 3u);
  EXPECT_EQ(calls.written, "hello!");
  EXPECT_EQ(calls.calls, (std::vector<std::string>{"fd_write", "proc_exit"}));
}

TEST_P(ProgramTest, EachRunSeesFreshStateAndTheDataSegments) {
  Name p = module(hello(0));
  for (int i = 0; i < 3; ++i) {
    RecordingCalls calls;
    EXPECT_EQ(run_program(p, calls), 0u);
    EXPECT_EQ(calls.written, "hello!") << "run " << i;  // global and memory as instantiated
  }
}

TEST_P(ProgramTest, StartReturningIsExitCodeZero) {
  Name p = module(program(R"((func (export "_start")))"));
  RecordingCalls calls;
  EXPECT_EQ(run_program(p, calls), 0u);
  EXPECT_TRUE(calls.calls.empty());
}

TEST_P(ProgramTest, BadPointersReachTheSystemCallsAsFaults) {
  Name p = module(program(R"(
    (func (export "_start")
      (call $proc_exit (call $fd_write (i32.const 1) (i32.const 65530) (i32.const 1) (i32.const 8)))))"));
  RecordingCalls calls;
  EXPECT_EQ(run_program(p, calls), 21u);  // EFAULT, as the calls returned it
}

TEST_P(ProgramTest, TrapsAndHostRefusalsAreProcedureErrors) {
  RecordingCalls calls;
  Name trap = module(program(R"((func (export "_start") unreachable))"));
  EXPECT_THAT([&] { run_program(trap, calls); }, ::testing::ThrowsMessage<ProcedureError>(HasSubstr("unreachable")));
  Name loop = module(program(R"((func (export "_start") (loop $l (br $l))))"));
  EXPECT_THAT([&] { run_program(loop, calls, Limits{0, 100000}); },
              ::testing::ThrowsMessage<ProcedureError>(HasSubstr("fuel exhausted")));
  Name refused = module(program(R"(
    (func (export "_start") (drop (call $random_get (i32.const 0) (i32.const 4)))))"));
  EXPECT_THAT([&] { run_program(refused, calls); },
              ::testing::ThrowsMessage<ProcedureError>(HasSubstr("refused by the test")));
  // …and the instance is usable afterwards.
  RecordingCalls again;
  EXPECT_EQ(run_program(module(hello(7)), again), 7u);
}

TEST_P(ProgramTest, ProgramsAndProceduresAreNotInterchangeable) {
  Name p = module(hello(0));
  EXPECT_THAT(error_of(run(p, {})), HasSubstr("is a Flatware program"));
  Name procedure = module(testing::with_imports(R"((func (export "_fixnet_apply") (param i32) (result i32)
                                                     (local.get 0)))"));
  RecordingCalls calls;
  EXPECT_FALSE(runner->is_program(store, procedure));
  EXPECT_THAT([&] { run_program(procedure, calls); },
              ::testing::ThrowsMessage<ProcedureError>(HasSubstr("not a Flatware program")));
}

TEST_P(ProgramTest, ImportsAreCheckedAgainstWasiPreview1) {
  RecordingCalls calls;
  auto rejection = [&](const std::string& wat) {
    try {
      run_program(module(wat), calls);
    } catch (const ProcedureError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_THAT(rejection(R"((module (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
                            (func (export "_start"))))"),
              HasSubstr("WASI preview 1 has params \"iiii\""));
  EXPECT_THAT(rejection(R"((module (import "wasi_snapshot_preview1" "sock_open" (func (param i32) (result i32)))
                            (func (export "_start"))))"),
              HasSubstr("\"sock_open\", which is not in WASI preview 1"));
  EXPECT_THAT(rejection(R"((module (import "fixnet" "kind" (func (param i32) (result i32)))
                            (func (export "_start"))))"),
              HasSubstr("Flatware programs may import only WASI preview 1"));
  EXPECT_THAT(rejection(R"((module (import "env" "f" (func)) (func (export "_start"))))"),
              HasSubstr("Flatware programs may import only WASI preview 1"));
  EXPECT_THAT(rejection(R"((module (func (export "_start") (param i32))))"),
              HasSubstr("must take no parameters"));
  EXPECT_THAT(rejection(R"((module (memory 1) (data (i32.const 65530) "0123456789") (func (export "_start"))))"),
              HasSubstr("is outside the initial memory"));
}

// A module of 16 MiB of data compiles in seconds: its data never becomes C.
TEST_P(ProgramTest, LargeDataSegmentsAreNotCompiledAsC) {
  std::string data(16 << 20, 'x');
  data[(16 << 20) - 1] = '!';
  std::string wat = program(R"(
    (data (i32.const 1024) ")" + data + R"(")
    (func (export "_start")
      (i32.store (i32.const 0) (i32.const 16778239))  ;; 1024 + 16 MiB - 1: the last byte
      (i32.store (i32.const 4) (i32.const 1))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))",
                            "(memory (export \"memory\") 300)");
  Name p = module(wat);
  RecordingCalls calls;
  EXPECT_EQ(run_program(p, calls), 0u);
  EXPECT_EQ(calls.written, "!");
  // The data went to the image, not into the C (a compiler takes minutes over 16 MiB of C arrays).
  const GeneratedC c = translate_module(*store.get_blob(p));
  EXPECT_EQ(c.data_image.size(), data.size() + 1);  // and the NUL that keeps an image non-empty
  EXPECT_LT(c.source.size() + c.header.size() + c.shared.size(), size_t{1} << 20);
  for (const CFunctionPart& part : c.parts) EXPECT_LT(part.text.size(), size_t{1} << 20);
}

// Under auto a program runs compiled (its WASI calls change the run's state: an interpreted run could
// not be given up halfway), and finding out that it is one does not read it for the interpreter.
TEST_P(ProgramTest, UnderAutoProgramsRunCompiled) {
  if (engine != Engine::Auto) GTEST_SKIP() << "about the auto engine";
  Name p = module(hello(57));  // a module of its own: not compiled by another test
  EXPECT_TRUE(runner->is_program(store, p));
  RecordingCalls calls;
  EXPECT_EQ(run_program(p, calls), 57u);
  const WasmRunnerStats stats = runner->stats();
  EXPECT_EQ(stats.interpreted, 0u);
  EXPECT_EQ(stats.interpreted_calls, 0u);
  EXPECT_EQ(stats.instances, 1u);
}

INSTANTIATE_TEST_SUITE_P(Engines, ProgramTest, ::testing::Values(Engine::Native, Engine::Interp, Engine::Auto),
                         testing::engine_test_name);

}  // namespace
}  // namespace fixnet::wasm
