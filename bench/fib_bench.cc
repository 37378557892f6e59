// The fib rows of `fixnet bench eval`: fib(n) through recursive Application thunks, as the README's
// quickstart runs it (examples/fib.c, with examples/add.c as its `add`). fib(n) for n >= 2 returns the
// thunk add(Strict(fib(n - 1)), Strict(fib(n - 2))), so forcing it with an empty memo table forces
// every fib(k) and add(k) once: 2n new thunks, each an application of a compiled Wasm procedure.
//   fib_new_thunks_per_core: such evaluations, each with a fresh MemoryRelations, in thunks per second
//     on a pool of one thread (fib is sequential: each step waits for the previous one);
//   fib_memo_hit_*: forcing the same fib(n) again, answered from the memo table.
#include <fmt/format.h>

#include <memory>
#include <utility>

#include "bench/harness.h"
#include "bench/wasm_fixnet.h"
#include "core/error.h"
#include "core/evaluator.h"

namespace fixnet::bench {
namespace {

constexpr uint64_t kN = 90;  // fib(90) is the largest that fits in a u64 with fib(91) < 2^64 too
constexpr size_t kBatch = 16;

uint64_t plain_fib(uint64_t n) {
  uint64_t a = 0, b = 1;
  for (uint64_t i = 0; i < n; ++i) b = std::exchange(a, b) + b;
  return a;
}

}  // namespace

void fib_eval(Report& report, const Options& options) {
  progress("eval: compiling fib.wasm and add.wasm (not timed)");
  WasmFixnet fx;
  const Name fib = fx.example("fib"), add = fx.example("add");
  const Name thunk = fx.store.put_tree({Limits{}.to_blob_name(), fib, u64_literal(kN), add}).application();
  const Name expected = u64_literal(plain_fib(kN));
  ThreadPool one(1);

  // Evaluations with an empty memo table, one after the other for `slice` seconds; the tables are
  // made before and freed after the clock runs.
  uint64_t thunks_per_eval = 0, applications_per_eval = 0;
  auto fresh = [&](double slice) {
    double seconds = 0;
    uint64_t thunks = 0;
    while (seconds < slice) {
      auto relations = std::make_unique<MemoryRelations>();
      Evaluator evaluator(fx.store, *relations, fx.dispatcher, one);
      const Clock::time_point start = Clock::now();
      const Name value = evaluator.force(thunk);
      seconds += seconds_between(start, Clock::now());
      if (value != expected) throw Error(fmt::format("bench eval: fib({}) gave a wrong value", kN));
      thunks_per_eval = evaluator.stats().forces - evaluator.stats().memo_hits;
      applications_per_eval = evaluator.stats().applications;
      thunks += thunks_per_eval;
    }
    return Sample{static_cast<double>(thunks) / seconds, seconds};
  };

  Evaluator warm(fx.store, fx.relations, fx.dispatcher, one);
  if (warm.force(thunk) != expected) throw Error(fmt::format("bench eval: fib({}) gave a wrong value", kN));
  const uint64_t warm_applications = warm.stats().applications;

  const size_t rounds = options.quick ? 3 : 7;
  const double seconds = measured_seconds(options);
  const double slice = seconds / static_cast<double>(rounds);
  std::vector<double> hit_ns;
  progress(fmt::format("eval: fib({}) new and from the memo table, {} rounds", kN, rounds));
  auto samples = interleave(
      {[&] { return fresh(slice); }, latency(hit_ns, slice, kBatch, [&] { keep(warm.force(thunk)); })},
      rounds, seconds);
  if (warm.stats().applications != warm_applications)
    throw Error("bench eval: a memo-hit force of fib ran a procedure again; the figures would be wrong");

  const double map_find = report.row("map_find_median").value;
  report.add({"fib_new_thunks_per_core", median(samples[0]), "thunks/s/core", "eval_tree_1t",
              median(samples[0]) / report.row("eval_tree_1t").value});
  report.add({"fib_memo_hit_median", median(hit_ns), "ns", "map_find_median", median(hit_ns) / map_find});
  report.add({"fib_memo_hit_p99", percentile(hit_ns, 99), "ns", "map_find_p99",
              percentile(hit_ns, 99) / report.row("map_find_p99").value});
  report.add_ratio("fib_memo_hit_over_map_find", median(hit_ns) / map_find);
  report.inputs["fib"] = {{"n", kN},
                          {"thunks_per_eval", thunks_per_eval},
                          {"applications_per_eval", applications_per_eval},
                          {"threads", 1},
                          {"batch_calls", kBatch},
                          {"rounds", samples[0].size()}};
}

}  // namespace fixnet::bench
