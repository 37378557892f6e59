// The observability policy ("metrics"): per method, the calls it saw, the replies with an error
// status, and a histogram of the time from this engine to the reply (the rest of the chain, the
// transport and the peer). fixnetd --metrics HOST:PORT serves them as Prometheus text; `fixnet rpc
// ctl list` shows the totals. Config: "" (none). Method names come from the application's schema
// (raw-bytes applications: the method number).
#include <array>
#include <chrono>
#include <map>
#include <unordered_map>

#include "rpc/policy_support.h"
#include "rpc/schema.h"

namespace fixnet::rpc {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kStateVersion = 1;
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
        started_[m.call_id] = {m.method, now};
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
    return work;
  }

  EngineState decompose() override {
    uint64_t calls = 0, errors = 0;
    for (const auto& [method, s] : methods_) calls += s.calls, errors += s.errors;
    return counters_state(kStateVersion, {calls, errors});
  }
  void restore(const EngineState& state) override {
    uint64_t calls, errors;
    restore_counters(state, kStateVersion, "metrics", {&calls, &errors});
    restored_calls_ = calls, restored_errors_ = errors;
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
  }

 private:
  void observe(const RpcMessage& m, Clock::time_point now) {
    auto it = started_.find(m.call_id);
    // A reply to a call made before this engine was attached: counted, not timed.
    MethodStats& s = methods_[it == started_.end() ? m.method : it->second.first];
    if (m.status != Status::kOk) ++s.errors;
    if (it == started_.end()) return;
    const double seconds = std::chrono::duration<double>(now - it->second.second).count();
    started_.erase(it);
    s.seconds += seconds;
    size_t bucket = 0;
    while (bucket < kBounds.size() && seconds > kBounds[bucket]) ++bucket;
    ++s.buckets[bucket];
  }
  std::string method_name(uint32_t method) const {
    if (const Schema* schema = context_.schema())
      for (const auto& m : schema->methods())
        if (m.id == method) return m.method->full_name();
    return std::to_string(method);
  }

  DatapathContext& context_;
  std::map<uint32_t, MethodStats> methods_;
  std::unordered_map<uint64_t, std::pair<uint32_t, Clock::time_point>> started_;  // call id → method, start
  uint64_t restored_calls_ = 0, restored_errors_ = 0;
};

Engine* create(DatapathContext* context, const char*) { return new MetricsEngine(*context); }

const fixnet_rpc_engine_plugin kMetricsPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "metrics", &create,
                                                 FIXNET_RPC_BEFORE_MARSHAL};

}  // namespace
}  // namespace fixnet::rpc

FIXNET_RPC_EXPORT_POLICY(builtin_metrics_engine, fixnet::rpc::kMetricsPlugin)
