// A "new version" of a policy that cannot read its predecessor's state: an upgrade to it must be
// rolled back (the old engine stays, traffic continues). It forwards like null otherwise.
#include "rpc/policy_support.h"

namespace {

using namespace fixnet::rpc;

class BadRestore final : public Engine {
 public:
  const char* name() const override { return "bad-restore"; }
  size_t do_work(EnginePorts& ports) override {
    return policy::forward(*ports.requests_in, *ports.requests_out) + policy::forward(*ports.replies_in, *ports.replies_out);
  }
  void configure(std::string_view) override {}  // takes its predecessor's config
  EngineState decompose() override { return {}; }
  void restore(const EngineState& state) override {
    throw fixnet::InputError("bad-restore engine cannot read state version " + std::to_string(state.version));
  }
};

Engine* create(DatapathContext*, const char*) { return new BadRestore(); }

const fixnet_rpc_engine_plugin kPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "bad-restore", &create,
                                          FIXNET_RPC_BEFORE_MARSHAL};

}  // namespace

extern "C" __attribute__((visibility("default"))) const fixnet_rpc_engine_plugin* fixnet_rpc_engine_plugin_entry() {
  return &kPlugin;
}
