// FrontendEngine: the datapath's engine facing the application — it pops descriptors from the
// submission queue (copying each out), validates them, turns requests into RpcMessages for the
// next engine, frees released reply buffers, and posts replies (and error replies) on the
// completion queue, ringing the application's doorbell. Rules: docs/rpc.md ("Validation",
// "Fairness under flooding").
#pragma once

#include <deque>
#include <unordered_set>

#include "net/descriptor_queue.h"
#include "net/doorbell.h"
#include "rpc/connection_memory.h"
#include "rpc/engine.h"

namespace fixnet::rpc {

class FrontendEngine final : public Engine {
 public:
  static constexpr size_t kBudget = 32;  // descriptors taken per round: one share for a flooder

  struct Counters {
    uint64_t requests = 0;      // valid requests passed on
    uint64_t replies = 0;       // completions posted (including error replies)
    uint64_t rejected = 0;      // invalid descriptors answered with an error status
    uint64_t bad_releases = 0;  // releases of buffers not handed out (dropped)
  };

  // Takes the completion eventfd (memory.completion_eventfd) for the application's doorbell.
  // `serving`: the application answers remote callers (it posts Replies and receives Requests).
  FrontendEngine(ConnectionMemory& memory, DatapathContext& context, bool serving = false);

  const char* name() const override { return "frontend"; }
  size_t do_work(EnginePorts& ports) override;
  EngineState decompose() override;
  void restore(const EngineState& state) override;
  bool has_pending_work() const override { return !pending_.empty(); }
  void report(EngineReport& r) const override {
    r.counters = {{"requests", counters_.requests}, {"replies", counters_.replies},
                  {"rejected", counters_.rejected}, {"bad_releases", counters_.bad_releases},
                  {"in_flight", in_flight_}};
  }

  bool has_input() { return submissions_.available() > 0; }
  // The application wrote impossible queue indices: it must be disconnected.
  bool broken() const { return submissions_.corrupt() || completions_.corrupt(); }
  const Counters& counters() const { return counters_; }

 private:
  void take(const Descriptor& d, EnginePorts& ports);
  void reply_error(const Descriptor& d, Status status);
  size_t flush_completions();
  static bool is_awaited(const Descriptor& d);  // a descriptor an application may be blocked on

  DatapathContext& context_;
  DescriptorLimits limits_;
  uint32_t slots_;
  net::QueueConsumer submissions_;
  net::QueueProducer completions_;
  net::Doorbell completion_bell_;
  std::deque<net::QueueSlot> pending_;          // completions waiting for a free slot
  std::unordered_set<uint64_t> handed_out_;     // receive buffers the application holds
  uint64_t in_flight_ = 0;                      // requests passed on, reply not yet posted
  Counters counters_;
};

}  // namespace fixnet::rpc
