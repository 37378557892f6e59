// The trusted toolchain with its cache: module bytes → a native shared object on disk.
//
//   check_module (read, validate, inspect) → instrument (fuel, depth) → generate_c (wasm2c + glue)
//   → the system C compiler → <cache>/wasm/<module name hex>-<toolchain hash>.so
//
// The artifact is keyed by the module's Name, the toolchain version (wabt version, the compiler's
// identity and flags, the glue text) and the host architecture, so compilation is itself a memoized
// computation: once per machine, never per process. Artifacts are written to a temporary file and
// renamed into place, and a per-key lock file (flock) makes a second process wait for the first's
// compile instead of repeating it. A module with much code is cut into several C units compiled in
// parallel (c_split.h); at most one compiler per core runs in the process (compiler.h).
//
// Thread-safe. A module that fails inspection throws ProcedureError (nothing is cached: the evaluator
// memoizes the error value); every other failure throws EnvironmentError.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "core/name.h"
#include "core/object.h"
#include "wasm/c_codegen.h"
#include "wasm/compiler.h"

namespace fixnet::wasm {

// Default cut of a module's C into units (c_split.h), from measurements (docs/performance.md).
inline constexpr size_t kPartBytes = size_t{4} << 20;
inline constexpr size_t kHugeFunctionBytes = size_t{256} << 10;

// Told how a compile of several units goes: units done (the link counts as one) of total, from any
// thread; done == total when it ends (successfully).
using ToolchainProgress = std::function<void(Name module, uint64_t done, uint64_t total)>;

struct ToolchainStats {
  std::atomic<uint64_t> compiled{0};    // modules this process compiled
  std::atomic<uint64_t> cache_hits{0};  // artifacts found on disk
};

class Toolchain {
 public:
  explicit Toolchain(std::filesystem::path cache_dir);

  // The artifact for module `name`; `bytes` is called only when it has to be compiled.
  std::filesystem::path artifact(Name name, const std::function<BlobData()>& bytes);

  // Whether module `name`'s artifact is in the cache (artifact() would not compile).
  bool cached(Name name);

  // "wabt 1.0.32; cc …; flags …; glue …; arch x86_64": what the artifacts depend on besides the module.
  const std::string& version();
  const ToolchainStats& stats() const { return stats_; }
  // Set before the first artifact() call (a terminal's progress bar, for instance).
  void set_progress(ToolchainProgress progress) { progress_ = std::move(progress); }

 private:
  void init();
  std::filesystem::path artifact_path(Name name);
  void compile(Name name, std::string_view bytes, const std::filesystem::path& artifact);

  std::filesystem::path dir_;
  std::once_flag init_once_;
  CCompiler cc_;
  std::string version_;
  std::string version_hash_;
  SplitLimits limits_;
  ToolchainProgress progress_;
  ToolchainStats stats_;
};

// Read, validate, inspect (data segments included) and instrument: the module both engines run — the
// compiled one (translate_module) and wabt's interpreter (interpreter.h). Throws ProcedureError.
struct InstrumentedModule {
  CheckedModule checked;
  Instrumented instrumented{};
};
InstrumentedModule check_and_instrument(std::string_view bytes);

// Read, validate, inspect, instrument and translate — everything but the C compiler. Returns the C
// source (ProcedureError for a module that fails inspection). Exposed for tests and benchmarks.
GeneratedC translate_module(std::string_view bytes, const SplitLimits& limits = {kPartBytes, kHugeFunctionBytes});

}  // namespace fixnet::wasm
