// The observability policy ("metrics"): per method, the calls it saw, the replies with an error
// status, and a histogram of the time from this engine to the reply (the rest of the chain, the
// transport and the peer). fixnetd --metrics HOST:PORT serves them as Prometheus text; `fixnet rpc
// ctl list` shows the totals. Method names come from the application's schema
// (raw-bytes applications: the method number).
//
// Config "" or "trace=PATH": with a trace, one line per answered call is appended to PATH —
//   2026-11-23T17:05:09.123456Z app=1 method=NAME call=7 status=0 latency_us=41 request_bytes=32 reply_bytes=32
// (wall-clock time of the reply, UTC). Lines are buffered and written in batches by a writer thread
// (trace_log.h): a full disk costs dropped lines (the trace_dropped counter), never a stalled runtime.
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <ctime>
#include <map>
#include <unordered_map>

#include "rpc/engine_state_codec.h"
#include "rpc/policy_support.h"
#include "rpc/schema.h"
#include "rpc/trace_log.h"

namespace fixnet::rpc {
namespace {

using Clock = std::chrono::steady_clock;

// Version 2: every method's counts, histogram and sum, and the calls in flight (so their replies are
// timed by the successor); version 1 (totals only) is still read.
constexpr uint32_t kStateVersion = 2, kTotalsVersion = 1;
// Upper bounds of the latency buckets, in seconds (the last bucket, +Inf, is implicit).
constexpr std::array<double, 10> kBounds = {10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 5e-3, 25e-3, 100e-3};

struct MethodStats {
  uint64_t calls = 0;
  uint64_t errors = 0;
  std::array<uint64_t, kBounds.size() + 1> buckets{};
  double seconds = 0;
};

class MetricsEngine final : public Engine {
 public:
  explicit MetricsEngine(DatapathContext& context) : context_(context) {}
  const char* name() const override { return "metrics"; }

  size_t do_work(EnginePorts& ports) override {
    size_t work = 0;
    const auto now = Clock::now();
    for (size_t n = 0; n < policy::kBudget && !ports.requests_in->empty(); ++n, ++work) {
      RpcMessage& m = ports.requests_in->front();
      if (m.kind == Kind::kRequest) {
        ++methods_[m.method].calls;
        started_[m.call_id] = {m.method, now, m.length};
      }
      ports.requests_out->push_back(std::move(m));
      ports.requests_in->pop_front();
    }
    for (size_t n = 0; n < policy::kBudget && !ports.replies_in->empty(); ++n, ++work) {
      RpcMessage& m = ports.replies_in->front();
      if (m.kind == Kind::kReply && m.call_id != 0) observe(m, now);
      ports.replies_out->push_back(std::move(m));
      ports.replies_in->pop_front();
    }
    if (trace_) trace_->flush();
    return work;
  }

  // Buffered trace lines: come back soon to hand them over even if no call comes.
  bool has_pending_work() const override { return trace_ && trace_->buffered(); }

  void configure(std::string_view config) override {
    auto settings = policy::parse_settings("metrics", config, {"trace"});
    std::unique_ptr<TraceLog> trace;
    if (settings.count("trace")) trace = std::make_unique<TraceLog>(settings["trace"]);  // throws: nothing changed
    trace_ = std::move(trace);
  }

  EngineState decompose() override {
    StateWriter w;
    w.put(restored_calls_), w.put(restored_errors_);
    w.put<uint64_t>(methods_.size());
    for (const auto& [method, s] : methods_) {
      w.put(method), w.put(s.calls), w.put(s.errors), w.put(s.seconds);
      for (uint64_t b : s.buckets) w.put(b);
    }
    // Start times as steady-clock ticks: the successor lives in this process, on this clock.
    w.put<uint64_t>(started_.size());
    for (const auto& [call, s] : started_) w.put(call), w.put(s.method), w.put(s.at.time_since_epoch().count()), w.put(s.request_bytes);
    return std::move(w).finish(kStateVersion);
  }
  void restore(const EngineState& state) override {
    if (state.version == kTotalsVersion) {
      uint64_t calls, errors;
      restore_counters(state, kTotalsVersion, "metrics", {&calls, &errors});
      restored_calls_ = calls, restored_errors_ = errors;
      return;
    }
    require_newest_state(state, kStateVersion, "metrics");
    StateReader r(state, "metrics");
    const uint64_t restored_calls = r.get<uint64_t>(), restored_errors = r.get<uint64_t>();
    std::map<uint32_t, MethodStats> methods;
    for (uint64_t i = 0, n = r.get_count(4 + 8 * (3 + kBounds.size() + 1)); i < n; ++i) {
      MethodStats& s = methods[r.get<uint32_t>()];
      s.calls = r.get<uint64_t>(), s.errors = r.get<uint64_t>(), s.seconds = r.get<double>();
      for (uint64_t& b : s.buckets) b = r.get<uint64_t>();
    }
    std::unordered_map<uint64_t, Started> started;
    for (uint64_t i = 0, n = r.get_count(8 + 4 + 8 + 8); i < n; ++i) {
      const uint64_t call = r.get<uint64_t>();
      Started& s = started[call];
      s.method = r.get<uint32_t>();
      s.at = Clock::time_point(Clock::duration(r.get<Clock::rep>()));
      s.request_bytes = r.get<uint64_t>();
    }
    r.expect_end();
    // Read whole before anything changes: a bad blob leaves this engine as it was.
    restored_calls_ = restored_calls, restored_errors_ = restored_errors;
    methods_ = std::move(methods);
    started_ = std::move(started);
  }

  void report(EngineReport& r) const override {
    uint64_t calls = restored_calls_, errors = restored_errors_;
    const std::string app = "app=\"" + std::to_string(context_.connection_id()) + "\",method=\"";
    for (const auto& [method, s] : methods_) {
      calls += s.calls, errors += s.errors;
      const std::string labels = app + method_name(method) + "\"";
      r.prometheus += "fixnet_rpc_calls_total{" + labels + "} " + std::to_string(s.calls) + "\n";
      r.prometheus += "fixnet_rpc_errors_total{" + labels + "} " + std::to_string(s.errors) + "\n";
      uint64_t cumulative = 0;
      for (size_t i = 0; i < s.buckets.size(); ++i) {
        cumulative += s.buckets[i];
        const std::string le = i < kBounds.size() ? std::to_string(kBounds[i]) : "+Inf";
        r.prometheus += "fixnet_rpc_latency_seconds_bucket{" + labels + ",le=\"" + le + "\"} " +
                        std::to_string(cumulative) + "\n";
      }
      r.prometheus += "fixnet_rpc_latency_seconds_sum{" + labels + "} " + std::to_string(s.seconds) + "\n";
      r.prometheus += "fixnet_rpc_latency_seconds_count{" + labels + "} " + std::to_string(cumulative) + "\n";
    }
    r.counters = {{"calls", calls}, {"errors", errors}, {"in_flight", started_.size()}};
    if (trace_) {
      r.counters.emplace_back("traced", trace_->written());
      r.counters.emplace_back("trace_dropped", trace_->dropped());
    }
  }

 private:
  void observe(const RpcMessage& m, Clock::time_point now) {
    auto it = started_.find(m.call_id);
    // A reply to a call made before this engine was attached: counted, not timed.
    MethodStats& s = methods_[it == started_.end() ? m.method : it->second.method];
    if (m.status != Status::kOk) ++s.errors;
    if (it == started_.end()) return;
    const Started call = it->second;
    started_.erase(it);
    const double seconds = std::chrono::duration<double>(now - call.at).count();
    if (trace_) trace(m, call, now);
    s.seconds += seconds;
    size_t bucket = 0;
    while (bucket < kBounds.size() && seconds > kBounds[bucket]) ++bucket;
    ++s.buckets[bucket];
  }
  struct Started {
    uint32_t method;
    Clock::time_point at;
    uint64_t request_bytes;
  };

  void trace(const RpcMessage& reply, const Started& call, Clock::time_point now) {
    const auto wall = std::chrono::system_clock::now();
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(wall.time_since_epoch()).count();
    const std::time_t second = micros / 1000000;
    if (second != trace_second_) {  // the date part changes once a second
      std::tm utc{};
      ::gmtime_r(&second, &utc);
      trace_second_ = second;
      trace_date_ = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                                utc.tm_hour, utc.tm_min, utc.tm_sec);
    }
    auto name = trace_names_.find(call.method);
    if (name == trace_names_.end()) name = trace_names_.emplace(call.method, method_name(call.method)).first;
    const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(now - call.at).count();
    trace_->add(fmt::format("{}.{:06}Z app={} method={} call={} status={} latency_us={} request_bytes={} reply_bytes={}",
                            trace_date_, micros % 1000000, context_.connection_id(), name->second, reply.call_id,
                            static_cast<unsigned>(reply.status), latency, call.request_bytes,
                            reply.offset == kNoOffset ? 0 : reply.length));
  }

  std::string method_name(uint32_t method) const {
    if (const Schema* schema = context_.schema())
      for (const auto& m : schema->methods())
        if (m.id == method) return m.method->full_name();
    return std::to_string(method);
  }

  DatapathContext& context_;
  std::map<uint32_t, MethodStats> methods_;
  std::unordered_map<uint64_t, Started> started_;  // by call id
  uint64_t restored_calls_ = 0, restored_errors_ = 0;
  std::unique_ptr<TraceLog> trace_;  // with trace=PATH
  std::unordered_map<uint32_t, std::string> trace_names_;  // method → name, as traced
  std::time_t trace_second_ = -1;
  std::string trace_date_;  // of trace_second_
};

Engine* create(DatapathContext* context, const char*) { return new MetricsEngine(*context); }

const fixnet_rpc_engine_plugin kMetricsPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "metrics", &create,
                                                 FIXNET_RPC_BEFORE_MARSHAL};

}  // namespace
}  // namespace fixnet::rpc

FIXNET_RPC_EXPORT_ENGINE(builtin_metrics_engine, fixnet::rpc::kMetricsPlugin)
