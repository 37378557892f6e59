// `fixnet bench flatware`: WASI programs as Fix computations against the same programs compiled
// natively (issue 4, "Measured"):
//   - add: tests/flatware/programs/add.c (`add 2 40`: libc start-up, argument parsing, printf, exit)
//     through the full apply path of a Flatware Application (the evaluator with the memo table not
//     read: the encode tree's eval, the dispatcher, FlatwareRunner — input parsing, the WASI host,
//     the compiled program in a fresh instance state, the output Tree — and the memo write) against
//     vfork+exec and posix_spawn of the native build, waited for;
//   - sort: tests/flatware/programs/sort.c (`sort N`: N MiB of u32, radix sort, checksum; no system
//     calls in the loop) under fixnet against native: the fraction of native speed;
//   - the largest third-party program fetched by scripts/fetch-wasi-programs (the data-heavy ones; see
//     kThirdParty): cold compile and cached start.
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "bench/embedded_modules.h"
#include "bench/harness.h"
#include "bench/native_program.h"
#include "bench/temp_dir.h"
#include "core/error.h"
#include "core/evaluator.h"
#include "core/memory_store.h"
#include "core/relation.h"
#include "core/thread_pool.h"
#include "flatware/flatware_runner.h"
#include "flatware/program_input.h"
#include "wasm/wasm_runner.h"

namespace fixnet::bench {
namespace {

namespace fs = std::filesystem;

// Third-party programs for the compile rows, largest first, with arguments that make them start and
// stop at once; the first one fetched is measured. (yosys and llvm, 28 and 63 MB of code, are left
// out: split into units they compile in bounded memory, but in the order of an hour of CPU at -O2;
// see docs/wasm.md and docs/performance.md.)
struct ThirdParty {
  const char* name;
  std::vector<std::string> args;
};
const std::vector<ThirdParty> kThirdParty = {
    {"flite", {"flite", "-lv"}},
    {"nextpnr-ice40", {"nextpnr-ice40", "--version"}},
    {"icepack", {"icepack", "-h"}},
};

struct FlatwareFixnet {
  explicit FlatwareFixnet(const fs::path& cache) : wasm(cache), flatware(wasm) {
    dispatcher.add(&flatware);
    dispatcher.add(&wasm);
  }
  // The Application running `program` with `args` (argv in full), nothing else in its input.
  Name application(Name program, std::vector<std::string> args) {
    flatware::ProgramInputSpec spec;
    spec.program = program;
    spec.args = std::move(args);
    return flatware::make_program_input(store, spec).application();
  }
  // Runs it and returns its output, checking the exit code unless told not to.
  flatware::ProgramOutput run(Evaluator& evaluator, Name application, const char* what, bool any_exit = false) {
    const Name result = evaluator.force(application);
    if (!result.is_tree()) throw Error(fmt::format("bench flatware: {} did not give an output Tree", what));
    flatware::ProgramOutput out = flatware::parse_output_tree(store, result);
    if (out.exit_code != 0 && !any_exit)
      throw Error(fmt::format("bench flatware: {} exited with {}", what, out.exit_code));
    return out;
  }

  MemoryStore store;
  MemoryRelations relations;
  wasm::WasmRunner wasm;
  flatware::FlatwareRunner flatware;
  ProcedureDispatcher dispatcher;
};

fs::path programs_dir() {
  const char* dir = std::getenv("FIXNET_PROGRAMS_DIR");
  if (dir && *dir) return dir;
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/") / ".cache/fixnet/wasi-programs";
}

void third_party_rows(Report& report, const Options& options) {
  for (const ThirdParty& p : kThirdParty) {
    const fs::path file = programs_dir() / p.name / (std::string(p.name) + ".wasm");
    if (!fs::exists(file)) continue;
    if (options.quick) {
      report.not_measured.emplace_back("third_party_compile", "not with --quick (it compiles for a minute)");
      return;
    }
    progress(fmt::format("flatware: compiling {} ({} MB), cold", p.name, fs::file_size(file) >> 20));
    TempDir cache;
    std::string bytes(fs::file_size(file), '\0');
    {
      std::FILE* in = std::fopen(file.c_str(), "rb");
      if (!in || std::fread(bytes.data(), 1, bytes.size(), in) != bytes.size())
        throw EnvironmentError(fmt::format("bench flatware: cannot read {}", file.string()));
      std::fclose(in);
    }
    double compile_s = 0, start_s = 0;
    {
      FlatwareFixnet fx(cache.path());
      const Name program = fx.store.put_blob(bytes);
      const auto t0 = Clock::now();
      fx.wasm.prepare(fx.store, program);
      compile_s = seconds_between(t0, Clock::now());
    }
    {  // as a new process would: a fresh runner loads the cached artifact, instantiates, runs
      FlatwareFixnet fx(cache.path());
      const Name program = fx.store.put_blob(bytes);
      ThreadPool pool(1);
      Evaluator evaluator(fx.store, fx.relations, fx.dispatcher, pool);
      const Name app = fx.application(program, p.args);
      const auto t0 = Clock::now();
      fx.run(evaluator, app, p.name, true);  // a usage message and exit 1 are a start like any
      start_s = seconds_between(t0, Clock::now());
    }
    report.add({"third_party_compile_s", compile_s, "s", "", std::nullopt});
    report.add({"third_party_cached_start_ms", start_s * 1e3, "ms", "", std::nullopt});
    report.targets.push_back({"compile_s", "third_party_compile_s", 30});
    report.targets.push_back({"cached_start_ms", "third_party_cached_start_ms", 50});
    report.inputs["third_party"] = {{"program", p.name}, {"module_bytes", bytes.size()}, {"args", p.args}};
    return;
  }
  report.not_measured.emplace_back("third_party_compile",
                                   "no third-party program fetched (scripts/fetch-wasi-programs flite)");
}

}  // namespace

Report flatware_benchmark(const Options& options) {
  progress("flatware: compiling add and sort, for wasm32-wasi and natively (not timed)");
  TempDir work;
  FlatwareFixnet fx(work.path());
  const Name add = fx.store.put_blob(embedded_module("bench_add", embedded_programs()));
  const Name sort = fx.store.put_blob(embedded_module("bench_sort", embedded_programs()));
  fx.wasm.prepare(fx.store, add);
  fx.wasm.prepare(fx.store, sort);
  const NativeProgram native_add(work.path(), "add", embedded_module("add", embedded_program_sources()));
  const NativeProgram native_sort(work.path(), "sort", embedded_module("sort", embedded_program_sources()));
  const std::string mib = options.quick ? "2" : "16";

  ThreadPool pool(1);
  Evaluator evaluator(fx.store, fx.relations, fx.dispatcher, pool, EvaluatorOptions{.read_memo = false});
  const Name add_app = fx.application(add, {"add", "2", "40"});
  const Name sort_app = fx.application(sort, {"sort", mib});
  // The same answers first: a figure of a wrong run would mean nothing.
  if (*fx.store.get_blob(fx.run(evaluator, add_app, "add").stdout_blob) != "42\n" ||
      native_add.vfork_exec({"2", "40"}) != 0 || native_add.posix_spawn({"2", "40"}) != 0)
    throw Error("bench flatware: add 2 40 did not print 42 and exit 0 everywhere");
  fx.run(evaluator, sort_app, "sort");
  if (native_sort.vfork_exec({mib}) != 0) throw Error("bench flatware: the native sort failed");

  const size_t rounds = options.quick ? 3 : 7;
  const double seconds = measured_seconds(options);
  const double slice = seconds / static_cast<double>(rounds);
  std::vector<double> add_ns, fork_ns, spawn_ns, sort_s, native_sort_s;
  progress(fmt::format("flatware: {} rounds of 5 measurements", rounds));
  auto samples = interleave(
      {
          latency(add_ns, slice, 16, [&] { keep(evaluator.force(add_app)); }),
          latency(fork_ns, slice, 1, [&] { keep(native_add.vfork_exec({"2", "40"})); }),
          latency(spawn_ns, slice, 1, [&] { keep(native_add.posix_spawn({"2", "40"})); }),
          latency(sort_s, 0, 1, [&] { keep(evaluator.force(sort_app)); }),
          latency(native_sort_s, 0, 1, [&] { keep(native_sort.vfork_exec({mib})); }),
      },
      rounds, seconds);
  const auto &a = samples[0], &fork = samples[1], &spawn = samples[2], &s = samples[3], &ns = samples[4];

  Report report;
  const double fork_over_add = median(quotients(fork, a)), spawn_over_add = median(quotients(spawn, a));
  const double speed = median(quotients(ns, s));
  report.add({"flatware_add_median", median(add_ns) / 1e3, "us", "", std::nullopt});
  report.add({"flatware_add_p99", percentile(add_ns, 99) / 1e3, "us", "", std::nullopt});
  report.add({"native_add_vfork_exec_median", median(fork_ns) / 1e3, "us", "flatware_add_median", fork_over_add});
  report.add({"native_add_posix_spawn_median", median(spawn_ns) / 1e3, "us", "flatware_add_median", spawn_over_add});
  report.add({"flatware_sort_median", median(sort_s) / 1e6, "ms", "", std::nullopt});
  report.add({"native_sort_median", median(native_sort_s) / 1e6, "ms", "flatware_sort_median", speed});
  report.add_ratio("vfork_exec_over_flatware_add", fork_over_add);
  report.add_ratio("posix_spawn_over_flatware_add", spawn_over_add);
  report.add_ratio("sort_speed_vs_native", speed, true);
  report.targets.push_back({"add_vs_vfork_exec", "vfork_exec_over_flatware_add", 100, true});
  report.targets.push_back({"sort_speed", "sort_speed_vs_native", 0.8, true});
  third_party_rows(report, options);
  report.inputs["add"] = {{"module_bytes", add.size()}, {"args", "add 2 40"}};
  report.inputs["sort"] = {{"module_bytes", sort.size()}, {"mib", std::stoi(mib)}};
  report.inputs["rounds"] = a.size();
  report.method = fmt::format(
      "Five measurements interleaved in at least {} alternating rounds. flatware_add: Evaluator::force of the "
      "Flatware Application running `add 2 40` (tests/flatware/programs/add.c built with clang and "
      "wasi-libc) with EvaluatorOptions::read_memo off, so every call runs the program: input parsing, "
      "WASI host, wasi-libc start-up, main, printf, exit, output Tree, memo write; mean of batches of "
      "16. native_add_*: the same add.c compiled with cc -O2 at bench start, started with vfork+exec "
      "or posix_spawn (stdout to /dev/null) and waited for. sort: `sort {}` ({} MiB of u32, radix "
      "sort) under fixnet and natively (vfork+exec, one run per sample, process start included); "
      "sort_speed_vs_native is native time / fixnet time. Ratios are medians of per-round quotients. "
      "third_party_*: the largest fetched program of flite, nextpnr-ice40, icepack: its first "
      "compile into an empty cache, then a fresh runner on that cache running it (load, "
      "instantiation with its data segments, start-up, exit).",
      rounds, mib, mib);
  return report;
}

}  // namespace fixnet::bench
