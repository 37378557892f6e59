// The QoS policy ("qos"): per-method priorities across the applications of one runtime. Config
// "METHOD=PRIORITY …" (method name or number; priorities 0–255, higher first; other methods 0).
// Strict priority across the runtime: each round a qos engine passes on only calls of the highest
// priority any qos engine of its runtime holds, or took in during this round or the one before. So
// while a more urgent application keeps calling (its calls pass through its qos engine every round),
// less urgent calls elsewhere on the runtime wait; they pass once a round goes by without more urgent
// calls. Within one priority calls keep their order. The `yielded` counter counts the rounds an
// engine held calls back for another's.
//
// The engines of a runtime share one arbiter. A runtime's engines all run on its one thread (that
// is what makes a datapath lock-free), so the arbiter is that thread's (found through a thread_local).
// An engine keeps its runtime's arbiter alive and gives back its held calls' counts when it goes —
// possibly on the control thread, which destroys a departed application's datapath: hence atomics.
#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <map>
#include <vector>

#include "rpc/policy_support.h"
#include "rpc/schema.h"

namespace fixnet::rpc {
namespace {

// Version 2: passed and yielded; version 1 (passed only) is still read. Held calls do not travel in
// the state: give_back puts them in front of the input queue, in order, for the successor to take.
constexpr uint32_t kStateVersion = 2, kPassedVersion = 1;
constexpr size_t kLevels = 256;

// Per runtime thread: how many held calls each priority has, over all its qos engines, and the
// highest priority taken in this round and the last. `waiting` is also changed by an engine's
// destructor (possibly on the control thread); the rest only on the runtime's thread.
struct Arbiter {
  std::array<std::atomic<uint64_t>, kLevels> waiting{};
  uint64_t round = 0;  // advanced when an engine runs a second time (the runtime started a new round)
  int seen_now = -1, seen_last = -1;

  int highest() const {
    int top = std::max(seen_now, seen_last);
    for (int p = kLevels - 1; p > top; --p)
      if (waiting[p].load(std::memory_order_relaxed) != 0) return p;
    return top;
  }
  void next_round() {
    seen_last = seen_now;
    seen_now = -1;
    ++round;
  }
};

std::shared_ptr<Arbiter> this_runtimes_arbiter() {
  thread_local std::shared_ptr<Arbiter> arbiter = std::make_shared<Arbiter>();
  return arbiter;
}

class QosEngine final : public Engine {
 public:
  explicit QosEngine(DatapathContext& context) : context_(context) {}
  ~QosEngine() override { release_all(); }
  const char* name() const override { return "qos"; }

  size_t do_work(EnginePorts& ports) override {
    if (!arbiter_) arbiter_ = this_runtimes_arbiter();
    Arbiter& arbiter = *arbiter_;
    if (round_ == arbiter.round) arbiter.next_round();  // we ran in this round already
    round_ = arbiter.round;
    size_t work = policy::forward(*ports.replies_in, *ports.replies_out);
    // Take new calls in (their priorities count from now on)…
    for (size_t n = 0; n < policy::kBudget && !ports.requests_in->empty(); ++n, ++work) {
      RpcMessage& m = ports.requests_in->front();
      if (m.kind != Kind::kRequest) {
        ports.requests_out->push_back(std::move(m));
      } else {
        const uint8_t p = priority(m.method);
        held_[p].push_back(std::move(m));
        ++arbiter.waiting[p];
        arbiter.seen_now = std::max<int>(arbiter.seen_now, p);
      }
      ports.requests_in->pop_front();
    }
    // …and pass on those of the runtime's highest waiting priority.
    const int top = arbiter.highest();
    if (top < 0) return work;
    auto it = held_.find(static_cast<uint8_t>(top));
    if (it == held_.end()) {
      yielded_ += !held_.empty();
      return work;
    }
    const size_t moved = policy::forward(it->second, *ports.requests_out);
    arbiter.waiting[top] -= moved;
    passed_ += moved;
    if (it->second.empty()) held_.erase(it);
    return work + moved;
  }

  bool has_pending_work() const override { return !held_.empty(); }

  void configure(std::string_view config) override {
    std::map<uint32_t, uint8_t> priorities;
    const Schema* schema = context_.schema();
    for (const auto& [name, value] : settings(config)) {
      uint32_t method = 0;
      if (schema)
        for (const auto& m : schema->methods())
          if (m.method->name() == name || m.method->full_name() == name) method = m.id;
      if (method == 0) {
        size_t used = 0;
        try {
          method = static_cast<uint32_t>(std::stoul(name, &used));
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != name.size() || method == 0)
          throw InputError("qos config: no method '" + name.substr(0, 60) + "' in the application's schema");
      }
      const double p = policy::parse_amount("qos", name, value, false);
      if (p >= kLevels || p != static_cast<uint8_t>(p))
        throw InputError("qos config: " + name + "=" + value.substr(0, 20) + ": priorities are whole numbers 0–255");
      priorities[method] = static_cast<uint8_t>(p);
    }
    // Calls already held keep the priority they were taken with.
    priorities_ = std::move(priorities);
  }

  void give_back(EnginePorts& ports) override {
    std::vector<RpcMessage> all;
    for (auto& [p, q] : held_)
      for (auto& m : q) all.push_back(std::move(m));
    release_all();
    for (auto it = all.rbegin(); it != all.rend(); ++it) ports.requests_in->push_front(std::move(*it));
  }

  EngineState decompose() override { return counters_state(kStateVersion, {passed_, yielded_}); }
  void restore(const EngineState& state) override {
    if (state.version == kPassedVersion) return restore_counters(state, kPassedVersion, "qos", {&passed_});
    restore_counters(state, kStateVersion, "qos", {&passed_, &yielded_});
  }
  void report(EngineReport& r) const override {
    uint64_t held = 0;
    for (const auto& [p, q] : held_) held += q.size();
    r.counters = {{"passed", passed_}, {"held", held}, {"yielded", yielded_}};
  }

 private:
  // "NAME=VALUE" words; the names are methods, so parse_settings' fixed keys do not fit.
  static std::vector<std::pair<std::string, std::string>> settings(std::string_view config) {
    std::vector<std::pair<std::string, std::string>> out;
    std::string text(config);
    for (char& c : text)
      if (c == ',' || c == '\t' || c == ';') c = ' ';
    size_t at = 0;
    while (at < text.size()) {
      if (text[at] == ' ') {
        ++at;
        continue;
      }
      const size_t end = std::min(text.find(' ', at), text.size());
      const std::string word = text.substr(at, end - at);
      const size_t eq = word.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == word.size())
        throw InputError("qos config: '" + word.substr(0, 60) + "' is not METHOD=PRIORITY");
      out.emplace_back(word.substr(0, eq), word.substr(eq + 1));
      at = end;
    }
    return out;
  }
  uint8_t priority(uint32_t method) const {
    auto it = priorities_.find(method);
    return it == priorities_.end() ? 0 : it->second;
  }
  // Our held calls no longer count on the runtime (they leave with us, or are handed back).
  void release_all() {
    if (arbiter_)
      for (auto& [p, q] : held_) arbiter_->waiting[p] -= q.size();
    held_.clear();
  }

  DatapathContext& context_;
  std::shared_ptr<Arbiter> arbiter_;  // set on the first round, on the runtime's thread
  std::map<uint32_t, uint8_t> priorities_;
  std::map<uint8_t, MessageQueue> held_;
  uint64_t round_ = ~uint64_t{0};  // the arbiter's round this engine last ran in
  uint64_t passed_ = 0, yielded_ = 0;
};

Engine* create(DatapathContext* context, const char*) { return new QosEngine(*context); }

const fixnet_rpc_engine_plugin kQosPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "qos", &create, FIXNET_RPC_BEFORE_MARSHAL};

}  // namespace
}  // namespace fixnet::rpc

FIXNET_RPC_EXPORT_ENGINE(builtin_qos_engine, fixnet::rpc::kQosPlugin)
