// The null policy ("null"): passes every RPC on unchanged. It measures what a policy slot costs and
// is the simplest engine to attach, detach and upgrade live. Built into fixnet_rpc and, with
// FIXNET_RPC_PLUGIN, as fixnet_rpc_null.so.
#include "rpc/policy_support.h"

namespace {

using namespace fixnet::rpc;

constexpr uint32_t kStateVersion = 1;

class NullEngine final : public Engine {
 public:
  const char* name() const override { return "null"; }
  size_t do_work(EnginePorts& ports) override {
    const size_t requests = policy::forward(*ports.requests_in, *ports.requests_out);
    const size_t replies = policy::forward(*ports.replies_in, *ports.replies_out);
    requests_ += requests;
    replies_ += replies;
    return requests + replies;
  }
  EngineState decompose() override { return counters_state(kStateVersion, {requests_, replies_}); }
  void restore(const EngineState& state) override {
    restore_counters(state, kStateVersion, "null", {&requests_, &replies_});
  }
  void report(EngineReport& r) const override { r.counters = {{"requests", requests_}, {"replies", replies_}}; }

 private:
  uint64_t requests_ = 0, replies_ = 0;
};

Engine* create(DatapathContext*, const char*) { return new NullEngine(); }

const fixnet_rpc_engine_plugin kNullPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "null", &create, FIXNET_RPC_BEFORE_MARSHAL};

}  // namespace

FIXNET_RPC_EXPORT_ENGINE(builtin_null_engine, kNullPlugin)
