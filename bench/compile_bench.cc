// `fixnet bench compile`: what the trusted toolchain costs (issue 3, "Measured").
//   compile_NAME: the first compile of an example procedure (embedded, bench/embedded_modules.h)
//     into an empty cache — read, validate, inspect, instrument, wasm2c, the system C compiler,
//     write the artifact — and its load (dlopen, bind): WasmRunner::prepare on a new cache directory;
//   compile_large: the same for a generated module of at least 1 MB (bench/large_module.h);
//   first_result_auto_large: the time to the first result of the large module under the auto engine
//     (from the interpreter, while it compiles), and native_after_auto_large until it runs compiled;
//   load_NAME, load_large: WasmRunner::prepare of the same module by a new WasmRunner (a new Toolchain)
//     on the same cache after the first one was destroyed (its artifact unloaded): what another
//     process pays to start using a module some process already compiled.
#include <fmt/format.h>

#include <algorithm>

#include "bench/embedded_modules.h"
#include "bench/harness.h"
#include "bench/large_module.h"
#include "bench/temp_dir.h"
#include "core/error.h"
#include "core/memory_store.h"
#include "wasm/toolchain.h"
#include "wasm/wasm_runner.h"

namespace fixnet::bench {
namespace {

double milliseconds_since(Clock::time_point start) { return 1e3 * seconds_between(start, Clock::now()); }

constexpr wasm::WasmRunnerOptions kNative{wasm::Engine::Native};

// A module in a store, and a cache directory where nothing is compiled yet.
struct Fresh {
  explicit Fresh(std::string_view bytes) : module(store.put_blob(bytes)) {}
  TempDir cache;
  MemoryStore store;
  const Name module;
};

// Under the auto engine, on an empty cache: the time to the first result of Application([limits,
// module]) (from the interpreter, while the module compiles in the background), then until the
// compiled code is loaded (prepare waits for the background compile).
struct AutoTimes {
  double first_result_ms = 0;
  double native_ms = 0;
};

AutoTimes first_result_under_auto(std::string_view bytes) {
  Fresh fresh(bytes);
  auto& [cache, store, module] = fresh;
  const Name encode = store.put_tree({Limits{}.to_blob_name(), module});
  AutoTimes t;
  wasm::WasmRunner runner(cache.path(), wasm::WasmRunnerOptions{wasm::Engine::Auto});
  const Clock::time_point start = Clock::now();
  if (runner.apply(Invocation{store, encode, module, Limits{}}) != encode)  // it returns its encode tree
    throw Error("bench compile: the large module's first result under --engine auto is wrong");
  t.first_result_ms = milliseconds_since(start);
  if (runner.stats().interpreted_calls != 1)
    throw Error("bench compile: the first result under --engine auto did not come from the interpreter");
  runner.prepare(store, module);
  t.native_ms = milliseconds_since(start);
  return t;
}

struct CompileTimes {
  double compile_ms = 0;
  double load_ms = 0;
};

CompileTimes compile_and_load(std::string_view bytes) {
  Fresh fresh(bytes);
  auto& [cache, store, module] = fresh;
  CompileTimes t;
  {
    wasm::WasmRunner first(cache.path(), kNative);
    const Clock::time_point start = Clock::now();
    first.prepare(store, module);
    t.compile_ms = milliseconds_since(start);
    if (first.stats().compiled != 1) throw Error("bench compile: the first prepare did not compile");
  }  // the artifact is unloaded here, as when a process ends
  wasm::WasmRunner second(cache.path(), kNative);
  const Clock::time_point start = Clock::now();
  second.prepare(store, module);
  t.load_ms = milliseconds_since(start);
  if (second.stats().compiled != 0 || second.stats().cache_hits != 1)
    throw Error("bench compile: the second prepare did not load the cached artifact");
  return t;
}

}  // namespace

Report compile_benchmark(const Options& options) {
  Report report;
  const auto& examples = embedded_modules();
  // A round compiles every example once (each ~0.2 s), in alternating order.
  const size_t rounds = options.quick ? 1 : 3;
  std::vector<std::vector<CompileTimes>> times(examples.size());
  for (size_t round = 0; round < rounds; ++round)
    for (size_t k = 0; k < examples.size(); ++k) {
      const size_t i = round % 2 ? examples.size() - 1 - k : k;
      progress(fmt::format("compile: {} (round {} of {})", examples[i].name, round + 1, rounds));
      times[i].push_back(compile_and_load(examples[i].bytes));
    }

  // --quick: a 64 KiB module instead of 1 MiB (which takes seconds to compile).
  const size_t large_bytes = options.quick ? size_t{64} << 10 : size_t{1} << 20;
  progress(fmt::format("compile: generating a module of at least {} bytes (not timed)", large_bytes));
  const std::string large = large_module(large_bytes);
  Clock::time_point start = Clock::now();
  const size_t c_bytes = wasm::translate_module(large).source.size();
  const double wasm2c_ms = milliseconds_since(start);
  CompileTimes large_times;
  {
    Ticker ticker(fmt::format("compile: a module of {} bytes ({} bytes of C)", large.size(), c_bytes));
    large_times = compile_and_load(large);
  }

  AutoTimes auto_times;
  {
    Ticker ticker("compile: the same module's first result under --engine auto, then its compile");
    auto_times = first_result_under_auto(large);
  }

  double load_max = large_times.load_ms;
  std::vector<double> load_over_compile{large_times.load_ms / large_times.compile_ms};
  nlohmann::ordered_json module_bytes = nlohmann::ordered_json::object();
  for (size_t i = 0; i < examples.size(); ++i) {
    std::vector<double> compile_ms, load_ms;
    for (const CompileTimes& t : times[i]) {
      compile_ms.push_back(t.compile_ms);
      load_ms.push_back(t.load_ms);
      load_over_compile.push_back(t.load_ms / t.compile_ms);
    }
    const std::string name(examples[i].name);
    report.add({"compile_" + name, median(compile_ms), "ms", "", std::nullopt});
    report.add(
        {"load_" + name, median(load_ms), "ms", "compile_" + name, median(load_ms) / median(compile_ms)});
    load_max = std::max(load_max, median(load_ms));
    module_bytes[name] = examples[i].bytes.size();
  }
  report.add({"wasm2c_large", wasm2c_ms, "ms", "compile_large", wasm2c_ms / large_times.compile_ms});
  report.add({"compile_large", large_times.compile_ms, "ms", "", std::nullopt});
  report.add({"load_large", large_times.load_ms, "ms", "compile_large",
              large_times.load_ms / large_times.compile_ms});
  report.add({"first_result_auto_large", auto_times.first_result_ms, "ms", "compile_large",
              auto_times.first_result_ms / large_times.compile_ms});
  report.add({"native_after_auto_large", auto_times.native_ms, "ms", "compile_large",
              auto_times.native_ms / large_times.compile_ms});
  report.add({"load_max", load_max, "ms", "", std::nullopt});
  report.add_ratio("load_over_compile", median(load_over_compile));
  report.add_ratio("wasm2c_share_large", wasm2c_ms / large_times.compile_ms);
  report.targets.push_back({"cached_load", "load_max", 5});
  module_bytes["large"] = large.size();
  report.inputs["module_bytes"] = std::move(module_bytes);
  report.inputs["large_c_bytes"] = c_bytes;
  report.inputs["rounds"] = {{"examples", rounds}, {"large", 1}};
  report.inputs["toolchain"] = wasm::Toolchain(std::filesystem::path()).version();
  report.method = fmt::format(
      "Each module is compiled into a new, empty cache directory by a new WasmRunner "
      "(WasmRunner::prepare: read, validate, inspect, instrument, wasm2c, the system C compiler, "
      "write, dlopen, bind): compile_*. That runner is then destroyed (its artifact unloaded) and "
      "a second new WasmRunner on the same cache prepares the module again, which finds the artifact "
      "and loads it: load_*, what another process pays. The examples are embedded in the binary; "
      "each is measured in {} round(s) in alternating order and the rows are medians. The large "
      "module ({} bytes, generated: many small load/add/mul/store functions) is compiled once; "
      "wasm2c_large times wasm::translate_module alone (everything but the C compiler). load_max is "
      "the largest load_* row; load_over_compile the median over modules of load / compile. "
      "first_result_auto_large: a new WasmRunner with the auto engine on another empty cache "
      "applies the large module (it returns its encode tree) — the result comes from wabt's "
      "interpreter while the module compiles in the background; native_after_auto_large: until "
      "that compile is loaded (WasmRunner::prepare waits for it), from the same start.",
      rounds, large.size());
  return report;
}

}  // namespace fixnet::bench
