// The rate-limit policy ("ratelimit"): a token bucket over an application's calls. Config
// "rate=R burst=B mode=queue|reject": R calls per second (a number, or inf), up to B calls at once
// after a quiet spell; over the limit a call waits in the engine (queue, the default) or is answered
// at once with status 10, rate limited (reject). Changeable live (configure); the bucket's tokens and
// the counters survive an upgrade (decompose/restore), and queued calls are handed back to the
// successor, never dropped. Only calls are limited: replies, and a serving application's answers,
// pass. Built into fixnet_rpc and, with FIXNET_RPC_PLUGIN, as fixnet_rpc_ratelimit.so.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "rpc/policy_support.h"

namespace {

using namespace fixnet::rpc;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kStateVersion = 1;

struct Limits {
  double rate = -1;  // calls per second; -1: infinite
  double burst = 1;
  bool reject = false;
};

Limits parse(std::string_view config) {
  auto s = policy::parse_settings("ratelimit", config, {"rate", "burst", "mode"});
  Limits l;
  if (s.count("rate")) l.rate = policy::parse_amount("ratelimit", "rate", s["rate"], true);
  l.burst = s.count("burst") ? policy::parse_amount("ratelimit", "burst", s["burst"], false)
                             : (l.rate < 0 ? 1 : std::max(1.0, l.rate / 10));
  if (l.burst < 1) throw fixnet::InputError("ratelimit config: burst must be at least 1 (one call)");
  if (s.count("mode")) {
    if (s["mode"] != "queue" && s["mode"] != "reject")
      throw fixnet::InputError("ratelimit config: mode=" + s["mode"].substr(0, 40) + " is neither queue nor reject");
    l.reject = s["mode"] == "reject";
  }
  return l;
}

class RateLimitEngine final : public Engine {
 public:
  RateLimitEngine() : last_(Clock::now()) {}

  const char* name() const override { return "ratelimit"; }

  size_t do_work(EnginePorts& ports) override {
    size_t work = policy::forward(*ports.replies_in, *ports.replies_out);
    if (limits_.rate < 0) {  // infinite: a plain forward, held calls first
      const size_t calls = policy::forward(held_, *ports.requests_out) + policy::forward(*ports.requests_in, *ports.requests_out);
      passed_ += calls;
      return work + calls;
    }
    refill();
    for (size_t n = 0; n < policy::kBudget && !held_.empty() && tokens_ >= 1; ++n, ++work) pass(held_, ports);
    for (size_t n = 0; n < policy::kBudget && !ports.requests_in->empty(); ++n, ++work) {
      if (ports.requests_in->front().kind != Kind::kRequest) {  // a serving application's answer
        ports.requests_out->push_back(std::move(ports.requests_in->front()));
        ports.requests_in->pop_front();
      } else if (held_.empty() && tokens_ >= 1) {
        pass(*ports.requests_in, ports);
      } else if (limits_.reject) {
        refuse(ports);
      } else {
        held_.push_back(std::move(ports.requests_in->front()));
        ports.requests_in->pop_front();
        ++delayed_;
      }
    }
    return work;
  }

  bool has_pending_work() const override { return !held_.empty(); }

  void configure(std::string_view config) override {
    limits_ = parse(config);
    // A new bucket starts full; a reconfigured one keeps what it has, up to the new burst.
    tokens_ = fresh_ ? limits_.burst : std::min(tokens_, limits_.burst);
    fresh_ = false;
  }

  void give_back(EnginePorts& ports) override { policy::hand_back(held_, *ports.requests_in); }

  EngineState decompose() override {
    uint64_t tokens;
    std::memcpy(&tokens, &tokens_, 8);
    return counters_state(kStateVersion, {passed_, delayed_, rejected_, tokens});
  }
  void restore(const EngineState& state) override {
    uint64_t tokens;
    restore_counters(state, kStateVersion, "ratelimit", {&passed_, &delayed_, &rejected_, &tokens});
    std::memcpy(&tokens_, &tokens, 8);
    tokens_ = std::isfinite(tokens_) ? std::clamp(tokens_, 0.0, limits_.burst) : 0;
  }

  void report(EngineReport& r) const override {
    r.counters = {{"passed", passed_}, {"delayed", delayed_}, {"rejected", rejected_}, {"queued", held_.size()}};
  }

 private:
  void refill() {
    const auto now = Clock::now();
    tokens_ = std::min(limits_.burst, tokens_ + std::chrono::duration<double>(now - last_).count() * limits_.rate);
    last_ = now;
  }
  void pass(MessageQueue& from, EnginePorts& ports) {
    ports.requests_out->push_back(std::move(from.front()));
    from.pop_front();
    tokens_ -= 1;
    ++passed_;
  }
  void refuse(EnginePorts& ports) {
    const RpcMessage& m = ports.requests_in->front();
    RpcMessage reply;
    reply.call_id = m.call_id;
    reply.method = m.method;
    reply.status = Status::kRateLimited;
    reply.done_offset = m.offset;  // the application's buffer comes back with the refusal
    ports.replies_out->push_back(reply);
    ports.requests_in->pop_front();
    ++rejected_;
  }

  Limits limits_;
  double tokens_ = 1;
  bool fresh_ = true;
  Clock::time_point last_;
  MessageQueue held_;
  uint64_t passed_ = 0, delayed_ = 0, rejected_ = 0;
};

Engine* create(DatapathContext*, const char*) { return new RateLimitEngine(); }

const fixnet_rpc_engine_plugin kRateLimitPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "ratelimit", &create,
                                                   FIXNET_RPC_BEFORE_MARSHAL};

}  // namespace

FIXNET_RPC_EXPORT_ENGINE(builtin_ratelimit_engine, kRateLimitPlugin)
