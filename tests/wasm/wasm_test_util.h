// Shared set-up of the wasm tests: a store, an evaluator whose dispatcher has the built-ins and a
// WasmRunner, helpers to build procedures from WebAssembly text and to apply them.
//
// Compiled artifacts go to one cache directory per test process (so each module compiles once per
// run); tests about the cache itself make their own.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/error_value.h"
#include "core/evaluator.h"
#include "core/memory_store.h"
#include "core/procedure.h"
#include "core/relation.h"
#include "core/thread_pool.h"
#include "wasm/wasm_runner.h"
#include "wasm/wat.h"

namespace fixnet::wasm::testing {

// A fresh directory, removed with the object.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/fixnet-wasm-test-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline const std::filesystem::path& shared_cache_dir() {
  static TempDir dir;
  return dir.path();
}

// How many compiled artifacts cache directory `cache` holds.
inline size_t artifacts_in(const std::filesystem::path& cache) {
  size_t n = 0;
  if (!std::filesystem::exists(cache / "wasm")) return 0;
  for (const auto& e : std::filesystem::directory_iterator(cache / "wasm"))
    if (e.path().extension() == ".so") ++n;
  return n;
}

inline std::string u64le(uint64_t v, size_t n = 8) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

inline uint64_t from_le(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < s.size() && i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(s[i])} << (8 * i);
  return v;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The directory the examples' .wasm files are built in (see examples/CMakeLists.txt).
inline std::filesystem::path examples_dir() {
#ifdef FIXNET_EXAMPLES_BINARY_DIR
  return FIXNET_EXAMPLES_BINARY_DIR;
#else
  return std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() / "examples";
#endif
}

class WasmTest : public ::testing::Test {
 protected:
  explicit WasmTest(std::filesystem::path cache = shared_cache_dir(), Engine engine = Engine::Native)
      : engine(engine), runner(std::make_unique<WasmRunner>(std::move(cache), WasmRunnerOptions{engine})) {
    NativeProcedures::add_builtins(natives);
    dispatcher.add(&natives);
    dispatcher.add(runner.get());
    evaluator = std::make_unique<Evaluator>(store, relations, dispatcher, pool);
    if (engine == Engine::Interp) native_twin = std::make_unique<Twin>(shared_cache_dir(), *this);
  }

  Name module(std::string_view wat) { return store.put_blob(wat_to_wasm(wat)); }
  Name example(std::string_view name) {
    return store.put_blob(read_file(examples_dir() / (std::string(name) + ".wasm")));
  }
  Name blob(std::string_view bytes) { return store.put_blob(bytes); }
  Name u8(uint8_t v) { return Name::literal(std::string(1, static_cast<char>(v))); }
  Name u64(uint64_t v) { return Name::literal(u64le(v)); }
  Name tree(std::vector<Name> entries) { return store.put_tree(std::move(entries)); }
  static Name limits(uint64_t memory = 0, uint64_t fuel = 0) { return Limits{memory, fuel}.to_blob_name(); }

  // Application([limits, procedure, args...]).
  Name application(Name procedure, std::vector<Name> args, Name lim = limits()) {
    std::vector<Name> entries{lim, procedure};
    entries.insert(entries.end(), args.begin(), args.end());
    return tree(std::move(entries)).application();
  }
  // force(Application(...)): the value, or an error value.
  Name run(Name procedure, std::vector<Name> args, Name lim = limits()) {
    return force(application(procedure, std::move(args), lim));
  }
  // force / eval of `thunk`; under the interpreter, checked against compiled code's Name.
  Name force(Name thunk) { return same_as_native(thunk, evaluator->force(thunk), false); }
  Name eval(Name thunk) { return same_as_native(thunk, evaluator->eval(thunk), true); }
  std::string bytes(Name blob) { return std::string(*store.get_blob(blob)); }
  std::string error_of(Name value) { return error_message(store, value).value_or("(not an error)"); }

  const Engine engine;
  MemoryStore store;
  MemoryRelations relations;
  ThreadPool pool{2};
  NativeProcedures natives;
  std::unique_ptr<WasmRunner> runner;
  ProcedureDispatcher dispatcher;
  std::unique_ptr<Evaluator> evaluator;

 private:
  // Compiled code beside the interpreter, with a memo table of its own (so it really runs), on the
  // same store: what the interpreter computes, it computes too, to the same Name — results and error
  // values alike, byte for byte.
  struct Twin {
    Twin(const std::filesystem::path& cache, WasmTest& test) : runner(cache, WasmRunnerOptions{Engine::Native}) {
      dispatcher.add(&test.natives);
      dispatcher.add(&runner);
      evaluator = std::make_unique<Evaluator>(test.store, relations, dispatcher, test.pool);
    }
    MemoryRelations relations;
    WasmRunner runner;
    ProcedureDispatcher dispatcher;
    std::unique_ptr<Evaluator> evaluator;
  };

  Name same_as_native(Name thunk, Name result, bool eval) {
    if (native_twin) {
      const Name native = eval ? native_twin->evaluator->eval(thunk) : native_twin->evaluator->force(thunk);
      EXPECT_EQ(result, native) << "the interpreter gave " << error_of(result) << ", compiled code "
                                << error_of(native);
    }
    return result;
  }

  std::unique_ptr<Twin> native_twin;
};

// A WasmTest run once per engine (compiled code, wabt's interpreter) with the same expectations: the
// engines must give the same Names, results and error values alike. Instantiate a suite of them with
// FIXNET_ON_EVERY_ENGINE(Suite).
class EngineTest : public WasmTest, public ::testing::WithParamInterface<Engine> {
 protected:
  EngineTest() : WasmTest(shared_cache_dir(), GetParam()) {}
};

inline std::string engine_test_name(const ::testing::TestParamInfo<Engine>& info) {
  return std::string(engine_name(info.param));
}

#define FIXNET_ON_EVERY_ENGINE(suite)                                                                   \
  INSTANTIATE_TEST_SUITE_P(Engines, suite,                                                              \
                           ::testing::Values(::fixnet::wasm::Engine::Native, ::fixnet::wasm::Engine::Interp), \
                           ::fixnet::wasm::testing::engine_test_name)

// The guest API imports, for WebAssembly text procedures.
inline constexpr const char* kImports = R"(
  (import "fixnet" "kind" (func $kind (param i32) (result i32)))
  (import "fixnet" "size" (func $size (param i32) (result i64)))
  (import "fixnet" "tree_entry" (func $tree_entry (param i32 i64) (result i32)))
  (import "fixnet" "blob_u64" (func $blob_u64 (param i32) (result i64)))
  (import "fixnet" "blob_read" (func $blob_read (param i32 i64 i32 i32)))
  (import "fixnet" "blob_create" (func $blob_create (param i32 i32) (result i32)))
  (import "fixnet" "blob_from_u64" (func $blob_from_u64 (param i64 i32) (result i32)))
  (import "fixnet" "tree_create" (func $tree_create (param i32 i32) (result i32)))
  (import "fixnet" "fail" (func $fail (param i32 i32)))
)";

// A module with the API imports, `memory` (one page unless told) and `body` as the rest.
inline std::string with_imports(std::string_view body, std::string_view memory = "(memory 1)") {
  return std::string("(module ") + kImports + std::string(memory) + "\n" + std::string(body) + ")";
}

}  // namespace fixnet::wasm::testing
