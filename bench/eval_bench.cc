// `fixnet bench eval`: the evaluator's two costs that matter most.
//
// (a) A memo hit: forcing a thunk already forced — an Application of the built-in `add` on two u64
//     literals — which is a Think lookup. Side by side: MemoryRelations::get alone (the lookup
//     force makes) and a bare std::unordered_map<Name, Name>::find, the floor.
// (b) Throughput: Evaluator::eval of one Tree of many Strict thunks (Identifications of literals,
//     Selections of an entry of a small Tree), on a pool of one thread and of all cores. Side by
//     side: a plain loop doing the same identifications and selections on vectors — no naming, no
//     store, no memo — which is what the evaluator's bookkeeping costs relative to.
// (c) fib(n) through recursive Wasm applications, new and from the memo table (fib_bench.cc).
#include <fmt/format.h>

#include <memory>
#include <unordered_map>

#include "bench/harness.h"
#include "core/error.h"
#include "core/evaluator.h"
#include "core/memory_store.h"

namespace fixnet::bench {
namespace {

// Calls timed together: a steady-clock read costs tens of ns on a VM (kvm-clock), as much as the
// call measured, so each sample is the mean of a batch of this many calls.
constexpr size_t kBatch = 16;
constexpr size_t kSmallTree = 8;  // entries of each Tree the Selections pick from

Name u64(uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  return Name::blob_name({b, 8});
}

void memo_hit(Report& report, const Options& options) {
  progress("eval: memo hit");
  MemoryStore store;
  MemoryRelations relations;
  NativeProcedures natives;
  NativeProcedures::add_builtins(natives);
  ThreadPool pool(1);
  Evaluator evaluator(store, relations, natives, pool);
  const Name thunk = store
                         .put_tree({Limits{}.to_blob_name(),
                                    NativeProcedures::procedure_name("add"), u64(2), u64(3)})
                         .application();
  const Name result = evaluator.force(thunk);  // the warm-up force: every later one is a memo hit
  if (result != u64(5)) throw Error("bench eval: add(2, 3) did not evaluate to 5");

  // The floor: the same key among a thousand others, so the table is not trivially small.
  std::unordered_map<Name, Name> floor;
  for (uint64_t i = 0; i < 1023; ++i) floor.emplace(u64(i + 100).identification(), u64(i));
  floor.emplace(thunk, result);

  const size_t min_rounds = options.quick ? 3 : 7;
  const double slice = measured_seconds(options) / static_cast<double>(min_rounds);
  std::vector<double> force_ns, relations_ns, map_ns;
  interleave(
      {
          latency(force_ns, slice, kBatch, [&] { keep(evaluator.force(thunk)); }),
          latency(relations_ns, slice, kBatch, [&] { keep(relations.get(Relation::Think, thunk)); }),
          latency(map_ns, slice, kBatch, [&] { keep(floor.find(thunk)->second); }),
      },
      min_rounds, measured_seconds(options));
  if (evaluator.stats().applications.load() != 1)
    throw Error("bench eval: a memo-hit force ran the procedure again; the figures would be wrong");

  const double map_median = median(map_ns), map_p99 = percentile(map_ns, 99);
  report.add({"force_memo_hit_median", median(force_ns), "ns", "map_find_median",
              median(force_ns) / map_median});
  report.add({"force_memo_hit_p99", percentile(force_ns, 99), "ns", "map_find_p99",
              percentile(force_ns, 99) / map_p99});
  report.add({"relations_get_median", median(relations_ns), "ns", "map_find_median",
              median(relations_ns) / map_median});
  report.add({"relations_get_p99", percentile(relations_ns, 99), "ns", "map_find_p99",
              percentile(relations_ns, 99) / map_p99});
  report.add({"map_find_median", map_median, "ns", "", std::nullopt});
  report.add({"map_find_p99", map_p99, "ns", "", std::nullopt});
  report.add_ratio("force_memo_hit_over_map_find", median(force_ns) / map_median);
  report.targets.push_back({"memo_hit_median", "force_memo_hit_median", 1000});
  report.inputs["memo_hit"] = {
      {"batch_calls", kBatch}, {"samples", force_ns.size()}, {"clock_read_ns", clock_read_ns()}};
}

// The thunk Tree and the same work as plain data.
struct ThunkTree {
  Name tree;
  Name expected;  // its value, checked after every timed eval
  struct Plain {
    bool select;
    uint32_t small_tree;
    uint32_t index;
    Name value;  // an Identification's value
  };
  std::vector<Plain> plain;
  std::vector<std::vector<Name>> small_trees;
};

// Even entries: Strict(Identification(u64 literal i)). Odd entries: Strict(Selection([small tree,
// index])), each (tree, index) pair once, so no two thunks share a memo entry.
ThunkTree make_thunk_tree(MemoryStore& store, size_t n) {
  ThunkTree t;
  std::vector<Name> entries(n);
  std::vector<Name> small_names;
  t.plain.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (i % 2 == 0) {
      const Name v = u64(i);
      entries[i] = v.identification().strict();
      t.plain[i] = {false, 0, 0, v};
      continue;
    }
    const size_t s = i / 2, j = s / kSmallTree, k = s % kSmallTree;
    if (k == 0) {
      std::vector<Name> small;
      for (size_t m = 0; m < kSmallTree; ++m)
        small.push_back(u64((uint64_t{1} << 40) + j * kSmallTree + m));
      small_names.push_back(store.put_tree(small));
      t.small_trees.push_back(std::move(small));
    }
    entries[i] = store.put_tree({small_names[j], u64(k)}).selection().strict();
    t.plain[i] = {true, static_cast<uint32_t>(j), static_cast<uint32_t>(k), Name()};
  }
  t.tree = store.put_tree(std::move(entries));
  return t;
}

// The baseline: the same identifications and selections (with the same bounds check), on vectors.
std::vector<Name> plain_eval(const ThunkTree& t) {
  std::vector<Name> out(t.plain.size());
  for (size_t i = 0; i < t.plain.size(); ++i) {
    const ThunkTree::Plain& p = t.plain[i];
    if (!p.select) {
      out[i] = p.value;
      continue;
    }
    const std::vector<Name>& small = t.small_trees[p.small_tree];
    if (p.index >= small.size()) throw Error("bench eval: selection out of range");
    out[i] = small[p.index];
  }
  return out;
}

void thunk_tree(Report& report, const Options& options) {
  const size_t n = options.quick ? 100'000 : 1'000'000;
  const size_t cores = all_cores(options);
  progress(fmt::format("eval: building a Tree of {} thunks (not timed)", n));
  MemoryStore store;
  NativeProcedures natives;
  ThunkTree t = make_thunk_tree(store, n);
  ThreadPool one(1), all(cores);

  // Untimed warm-up: fills the store's copy of the value (later evals find it there) and checks
  // that fixnet and the baseline compute the same thing.
  {
    progress("eval: warm-up eval (not timed)");
    MemoryRelations relations;
    Evaluator evaluator(store, relations, natives, all);
    t.expected = evaluator.eval(t.tree);
    if (*store.get_tree(t.expected) != plain_eval(t))
      throw Error("bench eval: the evaluator and the plain loop disagree on the thunk Tree");
  }

  // Each sample: a fresh memo (else every thunk is a hit), one eval of the whole Tree.
  auto eval_on = [&](ThreadPool& pool) {
    return [&, pool = &pool] {
      auto relations = std::make_unique<MemoryRelations>();
      Evaluator evaluator(store, *relations, natives, *pool);
      const Clock::time_point start = Clock::now();
      const Name value = evaluator.eval(t.tree);
      const double s = seconds_between(start, Clock::now());
      if (value != t.expected) throw Error("bench eval: the thunk Tree evaluated to another value");
      return Sample{static_cast<double>(n) / s, s};  // relations are freed after the clock stopped
    };
  };
  const size_t min_rounds = 3;
  const double slice = measured_seconds(options) / static_cast<double>(min_rounds);
  auto loop = [&] {
    const Clock::time_point start = Clock::now();
    double per_second = rate(slice, [&] {
      keep(plain_eval(t));
      return n;
    });
    return Sample{per_second, seconds_between(start, Clock::now())};
  };
  progress(fmt::format("eval: {} thunks on 1 and {} threads, and the plain loop", n, cores));
  auto samples = interleave({eval_on(one), eval_on(all), loop}, min_rounds, measured_seconds(options), 9);
  const auto& one_t = samples[0];
  const auto& all_t = samples[1];
  const auto& plain = samples[2];
  std::vector<double> per_core;
  for (double v : all_t) per_core.push_back(v / static_cast<double>(cores));

  const double over_loop = median(quotients(one_t, plain));
  report.add({"eval_tree_1t", median(one_t), "thunks/s", "loop_1t", over_loop});
  report.add({"eval_tree_all_cores", median(all_t), "thunks/s", "eval_tree_1t",
              median(quotients(all_t, one_t))});
  report.add({"eval_tree_per_core", median(per_core), "thunks/s/core", "loop_1t",
              median(quotients(per_core, plain))});
  report.add({"loop_1t", median(plain), "thunks/s", "", std::nullopt});
  report.add_ratio("eval_tree_1t_over_loop", over_loop);
  report.add_ratio("loop_over_eval_tree_1t", median(quotients(plain, one_t)));
  report.add_ratio("eval_tree_scaling", median(quotients(all_t, one_t)));
  report.inputs["thunk_tree"] = {{"thunks", n},         {"identifications", (n + 1) / 2},
                                 {"selections", n / 2}, {"small_tree_entries", kSmallTree},
                                 {"threads", cores},    {"rounds", one_t.size()}};
}

}  // namespace

Report eval_benchmark(const Options& options) {
  Report report;
  memo_hit(report, options);
  thunk_tree(report, options);
  fib_eval(report, options);
  report.method = fmt::format(
      "(a) After one warm-up force, Evaluator::force of the same Application add(2, 3) is a memo "
      "hit. Calls are timed in batches of {} between steady-clock reads "
      "(inputs.memo_hit.clock_read_ns says what a read costs); a sample is a batch's mean per "
      "call, so *_p99 is the 99th percentile of {}-call means and a lone slow call shows diluted. "
      "relations_get_* times MemoryRelations::get(Think, thunk) alone; map_find_* a "
      "std::unordered_map<Name, Name>::find of the same key among 1024 (the floor). The three run "
      "interleaved in alternating rounds, samples pooled. (b) One Tree of N thunks, half "
      "Strict(Identification(u64 literal)), half Strict(Selection([8-entry Tree, index])), all "
      "distinct, built untimed; each sample is one Evaluator::eval of the whole Tree with a fresh "
      "MemoryRelations (so nothing is a memo hit), on a ThreadPool of 1 thread and of all cores, "
      "including the put of the value Tree. loop_1t does the same identifications and selections "
      "on vectors in one thread, no naming, store or memo. An untimed warm-up eval checks fixnet "
      "and the loop agree. Rows are medians over at least 3 alternating rounds; ratios medians of "
      "per-round quotients. (c) fib(90) of examples/fib.c with examples/add.c, compiled before "
      "timing: fib_new_thunks_per_core forces it with a fresh MemoryRelations each time (2n new "
      "thunks, each a Wasm application, on a 1-thread pool: fib is sequential), fib_memo_hit_* "
      "forces it again from the memo table (batches of {}), interleaved in alternating rounds.",
      kBatch, kBatch, kBatch);
  return report;
}

}  // namespace fixnet::bench
