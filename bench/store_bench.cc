// `fixnet bench store`: MemoryStore operations per second against the table anyone would write
// first — one std::unordered_map<Name, std::string> behind one std::mutex — doing the same
// operations on the same blobs with the same threads.
//
//   put:  put_blob of distinct 64-byte blobs into an empty store (naming included: the Name is what
//         put computes; the baseline computes it the same way, outside its lock).
//   get:  get_blob of names the store holds, in a shuffled order. The baseline reads the value in
//         place under its lock and copies nothing out, which favours the baseline.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <unordered_map>

#include "bench/harness.h"
#include "core/memory_store.h"

namespace fixnet::bench {
namespace {

struct MutexMap {
  std::mutex mutex;
  std::unordered_map<Name, std::string, NameHash> objects;
};

constexpr size_t kBlobBytes = 64;

}  // namespace

Report store_benchmark(const Options& options) {
  Report report;
  const size_t ops = options.quick ? 20'000 : 200'000;  // per sample, split across the threads
  const size_t min_rounds = options.quick ? 3 : 5;
  const double slice = measured_seconds(options) / static_cast<double>(min_rounds);

  progress(fmt::format("store: making {} blobs", ops));
  std::vector<std::string> blobs;
  std::vector<Name> names;
  for (size_t i = 0; i < ops; ++i) {
    std::string b(kBlobBytes, static_cast<char>('a' + i % 26));
    std::memcpy(b.data(), &i, sizeof i);  // distinct content, so distinct Names
    names.push_back(Name::blob_name(b));
    blobs.push_back(std::move(b));
  }
  std::vector<size_t> order(ops);
  for (size_t i = 0; i < ops; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(42));

  // Filled once (untimed) for the get samples.
  MemoryStore full_store;
  MutexMap full_map;
  for (size_t i = 0; i < ops; ++i) {
    full_store.put_blob(blobs[i]);
    full_map.objects.try_emplace(names[i], blobs[i]);
  }

  std::vector<size_t> thread_counts = {1, 2};
  if (all_cores(options) > 2) thread_counts.push_back(all_cores(options));

  for (size_t threads : thread_counts) {
    progress(fmt::format("store: {} thread(s)", threads));
    // Thread t takes every threads-th operation, so all threads do the same amount of work.
    auto for_mine = [threads, ops](size_t t, const auto& fn) {
      for (size_t i = t; i < ops; i += threads) fn(i);
    };
    // Puts need distinct blobs and an empty table: a sample is passes of all `ops` blobs, each
    // into a fresh table (made and destroyed untimed), until the timed part reaches one slice.
    auto put_rate = [&](auto make_table, auto put_one) {
      double timed = 0;
      uint64_t done = 0;
      do {
        auto table = make_table();
        timed += run_threads(threads,
                             [&](size_t t) { for_mine(t, [&](size_t i) { put_one(*table, i); }); });
        done += ops;
      } while (timed < slice);
      return Sample{static_cast<double>(done) / timed, timed};
    };
    auto put_store = [&] {
      return put_rate([] { return std::make_unique<MemoryStore>(); },
                      [&](MemoryStore& store, size_t i) { keep(store.put_blob(blobs[i])); });
    };
    auto put_map = [&] {
      return put_rate([] { return std::make_unique<MutexMap>(); },
                      [&](MutexMap& map, size_t i) {
                        Name name = Name::blob_name(blobs[i]);
                        std::lock_guard lock(map.mutex);
                        map.objects.try_emplace(name, blobs[i]);
                      });
    };
    // Gets are cheap: a sample is every thread reading its share over and over for one slice.
    auto get_rate = [&](const std::function<void(size_t)>& get_one) {
      std::atomic<uint64_t> total{0};
      double s = run_threads(threads, [&](size_t t) {
        uint64_t done = 0;
        const Clock::time_point start = Clock::now();
        do {
          for_mine(t, get_one);
          done += (ops - t + threads - 1) / threads;
        } while (seconds_between(start, Clock::now()) < slice);
        total += done;
      });
      return Sample{static_cast<double>(total.load()) / s, s};
    };
    auto get_store = [&] {
      return get_rate([&](size_t i) { keep(full_store.get_blob(names[order[i]])->size()); });
    };
    auto get_map = [&] {
      return get_rate([&](size_t i) {
        std::lock_guard lock(full_map.mutex);
        keep(full_map.objects.find(names[order[i]])->second.size());
      });
    };
    auto samples =
        interleave({put_store, put_map, get_store, get_map}, min_rounds, measured_seconds(options));
    const std::string suffix = fmt::format("_{}t", threads);
    report.add({"put" + suffix, median(samples[0]), "ops/s", "map_put" + suffix,
                median(quotients(samples[0], samples[1]))});
    report.add({"map_put" + suffix, median(samples[1]), "ops/s", "", std::nullopt});
    report.add({"get" + suffix, median(samples[2]), "ops/s", "map_get" + suffix,
                median(quotients(samples[2], samples[3]))});
    report.add({"map_get" + suffix, median(samples[3]), "ops/s", "", std::nullopt});
    report.add_ratio("put" + suffix + "_over_map", *report.rows[report.rows.size() - 4].ratio);
    report.add_ratio("get" + suffix + "_over_map", *report.rows[report.rows.size() - 2].ratio);
  }
  report.inputs = {{"blob_bytes", kBlobBytes}, {"ops_per_sample", ops}, {"threads", thread_counts}};
  report.method = fmt::format(
      "T threads (1, 2, and all cores when more) start together once all exist; a sample's rate is "
      "operations / time until the last thread finishes. put_* puts {} distinct {}-byte blobs, "
      "split evenly across the threads, into a fresh, empty MemoryStore (put_blob: Name "
      "computation + insert), in as many passes (each into a new store, untimed) as fill {:.3g} s "
      "of measured time; map_put_* computes the same Name outside the lock and inserts into a "
      "fresh std::unordered_map<Name, std::string> behind one std::mutex. get_* has each thread "
      "read its share of the held blobs (get_blob) in a shuffled order, over and over for {:.3g} "
      "s; map_get_* finds each under the mutex and reads its size in place (no copy: favours the "
      "map). The four measurements of a thread count run interleaved in at least {} alternating "
      "rounds; rows are medians, ratios medians of per-round quotients (fixnet / map, higher is "
      "better for fixnet).",
      ops, kBlobBytes, slice, slice, min_rounds);
  return report;
}

}  // namespace fixnet::bench
