// Dispatch by name, the shared measuring harness, and the two renderings of a Report.
#include "bench/bench.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <thread>

#include "bench/harness.h"
#include "core/error.h"

namespace fixnet::bench {
namespace {

struct Entry {
  BenchmarkInfo info;
  Report (*run)(const Options&);
};

const std::vector<Entry>& registry() {
  static const std::vector<Entry> entries = {
      {{"hash",
        "Name computation (SHA-256 + layout) vs bare OpenSSL SHA-256 loops, 1 KiB and 1 MiB"},
       hash_benchmark},
      {{"store",
        "MemoryStore put/get per second, 1 and 2+ threads, vs a mutex-guarded unordered_map"},
       store_benchmark},
      {{"eval",
        "memo-hit force latency vs a bare map lookup; 1M-thunk Tree eval vs a plain loop; fib(n) "
        "through recursive Wasm applications, new and from the memo table"},
       eval_benchmark},
      {{"invoke",
        "one call of the add procedure through the evaluator (memo bypassed) vs a C function, a "
        "virtual call, vfork+exec and posix_spawn of a native add"},
       invoke_benchmark},
      {{"compile", "first compile of each example procedure and of a 1 MB module; cached load"},
       compile_benchmark},
      {{"flatware", "WASI programs under fixnet vs native: add vs vfork+exec, sort speed, large-module compile"},
       flatware_benchmark},
      {{"rpc",
        "one RPC through fixnet (app -> fixnetd -> TCP -> fixnetd -> app) vs raw TCP, gRPC C++ and gRPC through "
        "nginx sidecars: latency, rate, goodput, CPU per call"},
       rpc_benchmark},
      {{"rpc-policy",
        "fixnet RPC rate with no policy, null, rate limit at infinity and an ACL blocking 1% (attached live) vs "
        "gRPC through nginx sidecars with and without limit_req"},
       rpc_policy_benchmark},
      {{"rpc-upgrade",
        "fixnet RPC rate over time (10 ms buckets) while a policy is attached, reconfigured and detached and engines "
        "are upgraded live, vs the same timeline without edits"},
       rpc_upgrade_benchmark},
      {{"hotel",
        "the hotel microservice application (examples/hotel) at one fixed request rate on fixnet (one fixnetd per "
        "machine, acl + rate limit), gRPC and gRPC through nginx sidecars: mean, p50, p99 latency, CPU per request"},
       hotel_benchmark},
  };
  return entries;
}

// Numbers for people: grouped thousands for big values, three significant digits for small ones.
std::string format_value(double v) {
  if (!std::isfinite(v)) return fmt::format("{}", v);
  if (std::fabs(v) >= 1000) {
    std::string digits = fmt::format("{:.0f}", std::fabs(v));
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return v < 0 ? "-" + out : out;
  }
  if (std::fabs(v) >= 10) return fmt::format("{:.1f}", v);
  return fmt::format("{:#.3g}", v);  // '#' keeps trailing zeros: 1.00, not 1
}

// The ratio or row a target refers to.
std::optional<Report::Ratio> lookup(const Report& report, const std::string& key) {
  for (const Report::Ratio& r : report.ratios)
    if (r.name == key) return r;
  for (const Row& r : report.rows)
    if (r.name == key) return Report::Ratio{r.name, r.value, false};
  return std::nullopt;
}

std::string format_ratio(double value, bool percent) {
  return percent ? fmt::format("{:+.1f}%", 100 * value) : format_value(value);
}

// Word-wraps a paragraph to the table's width, each line indented by `indent`.
std::string wrap(const std::string& text, size_t width, const std::string& indent) {
  std::string out, line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(start, end - start);
    if (!line.empty() && indent.size() + line.size() + 1 + word.size() > width) {
      out += indent + line + "\n";
      line.clear();
    }
    if (!word.empty()) line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  if (!line.empty()) out += indent + line + "\n";
  return out;
}

void print_table(const Report& report, const std::string& description, const Options& options,
                 std::ostream& out) {
  out << "fixnet bench " << report.bench << ": " << description << "\n\n";
  size_t name_w = 3, value_w = 5, unit_w = 4;
  std::vector<std::string> values;
  for (const Row& r : report.rows) {
    values.push_back(format_value(r.value));
    name_w = std::max(name_w, r.name.size());
    value_w = std::max(value_w, values.back().size());
    unit_w = std::max(unit_w, r.unit.size());
  }
  out << fmt::format("  {:<{}}  {:>{}}  {:<{}}  {}\n", "row", name_w, "value", value_w, "unit",
                     unit_w, "ratio");
  for (size_t i = 0; i < report.rows.size(); ++i) {
    const Row& r = report.rows[i];
    std::string ratio;
    if (r.ratio) ratio = fmt::format("{} x {}", format_value(*r.ratio), r.baseline);
    std::string line = fmt::format("  {:<{}}  {:>{}}  {:<{}}  {}", r.name, name_w, values[i],
                                   value_w, r.unit, unit_w, ratio);
    out << line.substr(0, line.find_last_not_of(' ') + 1) << "\n";
  }
  for (const auto& [name, why] : report.not_measured)
    out << fmt::format("  {:<{}}  {:>{}}  {:<{}}  not measured: {}\n", name, name_w, "-", value_w, "",
                       unit_w, why);
  if (!report.ratios.empty()) {
    size_t w = 0;
    for (const Report::Ratio& r : report.ratios) w = std::max(w, r.name.size());
    out << "\nratios\n";
    for (const Report::Ratio& r : report.ratios)
      out << fmt::format("  {:<{}}  {}\n", r.name, w, format_ratio(r.value, r.percent));
  }
  if (!report.targets.empty()) {
    out << "\ntargets\n";
    for (const Target& t : report.targets) {
      std::optional<Report::Ratio> v = lookup(report, t.of);
      std::string verdict = "not measured";
      if (v)
        verdict = fmt::format("{} ({})", t.met(v->value) ? "met" : "NOT met",
                              format_ratio(v->value, v->percent));
      out << fmt::format("  {}: {} {} {}: {}\n", t.name, t.of, t.at_least ? ">=" : "<=",
                         format_ratio(t.bound, v && v->percent), verdict);
    }
  }
  if (!report.inputs.empty()) out << "\ninputs: " << report.inputs.dump() << "\n";
  out << fmt::format("machine: {} cores; all-cores rows use {} threads; seconds {}{}\n",
                     std::thread::hardware_concurrency(), all_cores(options), options.seconds,
                     options.quick ? "; quick (smoke-test inputs, not figures to quote)" : "");
  out << "method:\n" << wrap(report.method, 100, "  ");
}

void print_json(const Report& report, const std::string& description, const Options& options,
                std::ostream& out) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const Row& r : report.rows) {
    nlohmann::ordered_json row = {{"name", r.name}, {"value", r.value}, {"unit", r.unit}};
    if (r.ratio) {
      row["baseline"] = r.baseline;
      row["ratio"] = *r.ratio;
    }
    rows.push_back(std::move(row));
  }
  nlohmann::ordered_json ratios = nlohmann::ordered_json::object();
  for (const Report::Ratio& r : report.ratios) ratios[r.name] = r.value;
  nlohmann::ordered_json targets = nlohmann::ordered_json::object();
  for (const Target& t : report.targets) {
    std::optional<Report::Ratio> v = lookup(report, t.of);
    targets[t.name] = {{"of", t.of},
                       {t.at_least ? "min" : "max", t.bound},
                       {"value", v ? nlohmann::ordered_json(v->value) : nullptr},
                       {"met", v.has_value() && t.met(v->value)}};
  }
  nlohmann::ordered_json not_measured = nlohmann::ordered_json::object();
  for (const auto& [name, why] : report.not_measured) not_measured[name] = why;
  nlohmann::ordered_json j = {
      {"bench", report.bench},
      {"description", description},
      {"rows", std::move(rows)},
      {"ratios", std::move(ratios)},
      {"targets", std::move(targets)},
      {"not_measured", std::move(not_measured)},
      {"inputs", report.inputs},
      {"method", report.method},
      {"options",
       {{"seconds", options.seconds}, {"threads", options.threads}, {"quick", options.quick}}},
      {"machine",
       {{"cores", std::thread::hardware_concurrency()}, {"threads", all_cores(options)}}},
  };
  out << j.dump(2) << "\n";
}

}  // namespace

const std::vector<BenchmarkInfo>& benchmarks() {
  static const std::vector<BenchmarkInfo> infos = [] {
    std::vector<BenchmarkInfo> v;
    for (const Entry& e : registry()) v.push_back(e.info);
    return v;
  }();
  return infos;
}

std::vector<std::string> names() {
  std::vector<std::string> v;
  for (const BenchmarkInfo& b : benchmarks()) v.push_back(b.name);
  return v;
}

int run(const std::string& name, const Options& options, std::ostream& out) {
  const Entry* entry = nullptr;
  for (const Entry& e : registry())
    if (e.info.name == name) entry = &e;
  if (!entry) {
    std::string all;
    for (const std::string& n : names()) all += (all.empty() ? "" : ", ") + n;
    throw InputError(fmt::format("there is no benchmark '{}': choose one of {}", name, all));
  }
  if (!(options.seconds > 0) || !std::isfinite(options.seconds))
    throw InputError(
        fmt::format("benchmark seconds must be a positive number, got {}", options.seconds));
  Report report = entry->run(options);
  report.bench = name;
  if (options.json)
    print_json(report, entry->info.description, options, out);
  else
    print_table(report, entry->info.description, options, out);
  return 0;
}

double measured_seconds(const Options& options) {
  return options.quick ? std::min(options.seconds, 0.25) : options.seconds;
}

size_t all_cores(const Options& options) {
  if (options.threads > 0) return options.threads;
  return std::max<size_t>(1, std::thread::hardware_concurrency());
}

double median(std::vector<double> samples) {
  if (samples.empty()) return std::nan("");
  auto mid = samples.begin() + samples.size() / 2;
  std::nth_element(samples.begin(), mid, samples.end());
  if (samples.size() % 2) return *mid;
  // Even count: the mean of the two middle samples.
  double upper = *mid;
  double lower = *std::max_element(samples.begin(), mid);
  return (lower + upper) / 2;
}

double percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return std::nan("");
  std::sort(samples.begin(), samples.end());
  // Nearest rank: the smallest sample with at least p% of the samples at or below it.
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(samples.size())));
  return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
}

double rate(double min_seconds, const std::function<uint64_t()>& step) {
  uint64_t ops = 0;
  const Clock::time_point start = Clock::now();
  double elapsed = 0;
  do {
    ops += step();
    elapsed = seconds_between(start, Clock::now());
  } while (elapsed < min_seconds);
  return static_cast<double>(ops) / elapsed;
}

double run_threads(size_t threads, const std::function<void(size_t)>& fn) {
  std::latch ready(static_cast<std::ptrdiff_t>(threads) + 1);
  std::atomic<bool> go{false};
  std::vector<Clock::time_point> finished(threads);
  std::vector<std::thread> workers;
  for (size_t t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      ready.count_down();
      // Spin rather than block, so every thread starts within nanoseconds of the release.
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      fn(t);
      finished[t] = Clock::now();
    });
  ready.arrive_and_wait();
  const Clock::time_point start = Clock::now();
  go.store(true, std::memory_order_release);
  for (std::thread& w : workers) w.join();
  return seconds_between(start, *std::max_element(finished.begin(), finished.end()));
}

std::vector<std::vector<double>> interleave(
    const std::vector<std::function<Sample()>>& measurements, size_t min_rounds, double min_seconds,
    size_t max_rounds) {
  std::vector<std::vector<double>> samples(measurements.size());
  std::vector<double> spent(measurements.size(), 0);
  auto done = [&] {
    if (samples.empty() || samples[0].size() >= max_rounds) return true;
    if (samples[0].size() < min_rounds) return false;
    return std::all_of(spent.begin(), spent.end(), [&](double s) { return s >= min_seconds; });
  };
  for (size_t round = 0; !done(); ++round) {
    for (size_t k = 0; k < measurements.size(); ++k) {
      // Odd rounds run in reverse, so no measurement always runs right after the same neighbour.
      const size_t m = round % 2 ? measurements.size() - 1 - k : k;
      Sample s = measurements[m]();
      samples[m].push_back(s.value);
      spent[m] += s.seconds;
    }
  }
  return samples;
}

std::vector<double> quotients(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> q;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) q.push_back(a[i] / b[i]);
  return q;
}

void progress(const std::string& message) {
  if (isatty(STDERR_FILENO)) std::cerr << "bench: " << message << "\n";
}

double clock_read_ns() {
  std::vector<double> samples;
  for (int i = 0; i < 1000; ++i) {
    Clock::time_point a = Clock::now();
    for (int k = 0; k < 16; ++k) keep(Clock::now());
    samples.push_back(nanoseconds(a, Clock::now()) / 16);
  }
  return median(samples);
}

struct Ticker::State {
  std::mutex mutex;
  std::condition_variable stop;
  bool stopping = false;
  std::thread thread;
};

Ticker::Ticker(std::string message) {
  if (!isatty(STDERR_FILENO)) return;
  state_ = std::make_unique<State>();
  state_->thread = std::thread([state = state_.get(), message = std::move(message)] {
    const Clock::time_point start = Clock::now();
    std::unique_lock lock(state->mutex);
    do {
      std::cerr << fmt::format("\rbench: {} {:.1f} s", message, seconds_between(start, Clock::now()))
                << std::flush;
    } while (!state->stop.wait_for(lock, std::chrono::milliseconds(500), [&] { return state->stopping; }));
    std::cerr << fmt::format("\rbench: {} {:.1f} s\n", message, seconds_between(start, Clock::now()));
  });
}

Ticker::~Ticker() {
  if (!state_) return;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->stop.notify_one();
  state_->thread.join();
}

const Row& Report::row(const std::string& name) const {
  for (const Row& r : rows)
    if (r.name == name) return r;
  throw Error(fmt::format("benchmark {} has no row {}", bench, name));
}

}  // namespace fixnet::bench
