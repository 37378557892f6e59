// The measuring harness the benchmarks share (internal to bench/): clocks, statistics, interleaved
// rounds, thread start-lines, and the Report every benchmark fills and bench.cc prints, as a table
// or as one JSON object. Written once so that every benchmark measures and reports the same way.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench.h"

namespace fixnet::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

inline double nanoseconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::nano>(b - a).count();
}

// Makes the compiler assume `value` is read, so the work producing it is not optimized away.
template <class T>
inline void keep(const T& value) {
  asm volatile("" : : "g"(&value) : "memory");
}

// Makes the compiler forget what it knows of `value` (e.g. that it is a constant), so a call taking
// it cannot be folded or hoisted out of a loop.
template <class T>
inline void opaque(T& value) {
  asm volatile("" : "+r"(value));
}

// Statistics of repeated samples. Both copy: callers keep their samples in measurement order.
double median(std::vector<double> samples);
double percentile(std::vector<double> samples, double p);  // nearest rank, p in [0, 100]

// Calls `step` (which does a batch of work and returns how many operations it did) until at least
// `min_seconds` passed; returns operations per second. At least one step runs.
double rate(double min_seconds, const std::function<uint64_t()>& step);

// Runs fn(0..threads-1) on `threads` new threads released together once all exist, so thread
// creation is not timed; returns seconds from the release until the last one finished.
double run_threads(size_t threads, const std::function<void(size_t)>& fn);

// One sample of a measurement and the measured seconds it took (setup excluded).
struct Sample {
  double value = 0;
  double seconds = 0;
};

// Runs the measurements round-robin, reversing the order every other round, until each has at
// least `min_rounds` samples and `min_seconds` of measured time (or `max_rounds` samples). A slow
// phase of a shared machine then hits all measurements alike instead of one. Returns
// samples[measurement][round].
std::vector<std::vector<double>> interleave(
    const std::vector<std::function<Sample()>>& measurements, size_t min_rounds, double min_seconds,
    size_t max_rounds = 1000);

// A latency measurement for interleave(): each sample calls `call` in batches of `batch` between two
// steady-clock reads for `slice` seconds, appends each batch's mean ns per call to `all` (pooled
// over rounds, for percentiles) and is the median of its own batches. A clock read costs tens of ns
// on a VM (kvm-clock), so calls of a few ns need large batches; a batch of 1 times each call alone.
template <class Call>
std::function<Sample()> latency(std::vector<double>& all, double slice, size_t batch, Call call) {
  return [&all, slice, batch, call] {
    std::vector<double> mine;
    const Clock::time_point start = Clock::now();
    for (;;) {
      const Clock::time_point t0 = Clock::now();
      for (size_t k = 0; k < batch; ++k) call();
      const Clock::time_point t1 = Clock::now();
      mine.push_back(nanoseconds(t0, t1) / static_cast<double>(batch));
      if (seconds_between(start, t1) >= slice) break;
    }
    all.insert(all.end(), mine.begin(), mine.end());
    return Sample{median(mine), seconds_between(start, Clock::now())};
  };
}

// Median cost of one steady-clock read, reported so that batch sizes can be judged.
double clock_read_ns();

// Pairwise quotients a[i] / b[i] of two sample series from the same rounds: a ratio per round,
// whose median cancels noise that hit both measurements of a round.
std::vector<double> quotients(const std::vector<double>& a, const std::vector<double>& b);

// Shows progress on stderr when it is a terminal (never in a pipe: stdout may carry JSON).
void progress(const std::string& message);

// Progress of one long step (a compile of several seconds): while it lives, and when stderr is a
// terminal, a line on stderr shows `message` and the seconds elapsed, updated twice a second.
class Ticker {
 public:
  explicit Ticker(std::string message);
  ~Ticker();
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct Row {
  std::string name;
  double value = 0;
  std::string unit;
  // The row this one is compared with, and value / that row's value (or the median of per-round
  // quotients, when the benchmark has them).
  std::string baseline;
  std::optional<double> ratio;
};

// A target from the issue tracker: `of` (a key of Report::ratios, or a row name) must be at most
// `bound` (or, with at_least, at least `bound`). Reported as met or not; never asserted.
struct Target {
  std::string name;
  std::string of;
  double bound = 0;
  bool at_least = false;

  bool met(double value) const { return at_least ? value >= bound : value <= bound; }
};

struct Report {
  std::string bench;
  std::string method;  // how the figures were measured, one paragraph
  std::vector<Row> rows;
  struct Ratio {
    std::string name;
    double value = 0;
    bool percent = false;  // shown as a percentage in the table (a fraction in JSON)
  };
  std::vector<Ratio> ratios;
  std::vector<Target> targets;
  nlohmann::ordered_json inputs =
      nlohmann::ordered_json::object();  // what was measured on, e.g. {"thunks": N}
  // Rows that a benchmark names but cannot measure on this machine, with the reason (never faked).
  std::vector<std::pair<std::string, std::string>> not_measured;

  const Row& row(const std::string& name) const;
  void add(Row row) { rows.push_back(std::move(row)); }
  void add_ratio(std::string name, double value, bool percent = false) {
    ratios.push_back({std::move(name), value, percent});
  }
};

// The benchmarks, one per file.
Report hash_benchmark(const Options& options);
Report store_benchmark(const Options& options);
Report eval_benchmark(const Options& options);
Report invoke_benchmark(const Options& options);
Report compile_benchmark(const Options& options);
Report flatware_benchmark(const Options& options);
Report rpc_benchmark(const Options& options);
Report rpc_policy_benchmark(const Options& options);
Report rpc_upgrade_benchmark(const Options& options);
Report hotel_benchmark(const Options& options);

// eval's fib rows (fib_bench.cc), added after its memo-hit and thunk-Tree rows, which they compare with.
void fib_eval(Report& report, const Options& options);

// Minimum measured seconds of each measurement: Options::seconds, capped at 0.25 with --quick so that
// a quick run finishes in a few seconds.
double measured_seconds(const Options& options);

// Threads for "all cores" rows: Options::threads, or one per core.
size_t all_cores(const Options& options);

}  // namespace fixnet::bench
