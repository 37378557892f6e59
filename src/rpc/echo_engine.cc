// The echo engine: a loopback "transport" that answers method 1 (echo) with a copy of the request,
// locally. It exercises the whole app ↔ service datapath without a network. Compiled twice: into
// fixnet_rpc as the built-in "echo", and with FIXNET_RPC_PLUGIN as the plugin fixnet_rpc_echo.so
// (everything internal, only the C entry point exported).
#include <cstring>
#include <string>

#include "core/error.h"
#include "rpc/engine.h"

namespace {

using fixnet::rpc::DatapathContext;
using fixnet::rpc::EnginePorts;
using fixnet::rpc::EngineState;
using fixnet::rpc::RpcMessage;
using fixnet::rpc::Status;

constexpr uint32_t kEchoMethod = 1;
constexpr uint32_t kStateVersion = 1;
constexpr size_t kBudget = 32;

class EchoEngine final : public fixnet::rpc::Engine {
 public:
  explicit EchoEngine(DatapathContext& context) : context_(context) {}

  const char* name() const override { return "echo"; }

  size_t do_work(EnginePorts& ports) override {
    size_t done = 0;
    for (; done < kBudget && !ports.requests_in->empty(); ++done) {
      const RpcMessage request = ports.requests_in->front();
      ports.requests_in->pop_front();
      ports.replies_out->push_back(answer(request));
    }
    return done;
  }

  EngineState decompose() override { return fixnet::rpc::counters_state(kStateVersion, {echoed_, refused_}); }

  void restore(const EngineState& state) override {
    fixnet::rpc::restore_counters(state, kStateVersion, "echo", {&echoed_, &refused_});
  }

  void report(fixnet::rpc::EngineReport& r) const override { r.counters = {{"echoed", echoed_}, {"refused", refused_}}; }

 private:
  RpcMessage answer(const RpcMessage& request) {
    RpcMessage reply;
    reply.call_id = request.call_id;
    reply.method = request.method;
    reply.done_offset = request.offset;  // we copy now: the request buffer is free once the reply goes
    if (request.method != kEchoMethod) {
      reply.status = Status::kUnknownMethod;
    } else if (auto buffer = context_.allocate_reply(length(request))) {
      copy(request, buffer->bytes.data());
      reply.offset = buffer->offset;
      reply.length = length(request);
      ++echoed_;
      return reply;
    } else {
      reply.status = Status::kNoReceiveSpace;
    }
    ++refused_;
    return reply;
  }

  // A marshalled request is echoed as its wire bytes (the marshalling engine turns them back).
  static uint64_t length(const RpcMessage& request) { return request.wire ? request.wire->length : request.length; }
  void copy(const RpcMessage& request, uint8_t* to) {
    if (!request.wire) {
      std::memcpy(to, context_.request_bytes(request.offset, request.length).data(), request.length);
      return;
    }
    for (const auto& piece : request.wire->pieces) {
      const uint8_t* from = piece.heap ? context_.request_bytes(piece.offset, piece.length).data()
                                       : reinterpret_cast<const uint8_t*>(request.wire->made.data()) + piece.offset;
      std::memcpy(to, from, piece.length);
      to += piece.length;
    }
  }

  DatapathContext& context_;
  uint64_t echoed_ = 0;
  uint64_t refused_ = 0;
};

fixnet::rpc::Engine* create_echo(DatapathContext* context, const char*) { return new EchoEngine(*context); }

const fixnet_rpc_engine_plugin kEchoPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "echo", &create_echo, FIXNET_RPC_BEFORE_MARSHAL};

}  // namespace

#ifdef FIXNET_RPC_PLUGIN
extern "C" __attribute__((visibility("default"))) const fixnet_rpc_engine_plugin* fixnet_rpc_engine_plugin_entry() {
  return &kEchoPlugin;
}
#else
namespace fixnet::rpc {
const fixnet_rpc_engine_plugin* builtin_echo_engine() { return &kEchoPlugin; }
}  // namespace fixnet::rpc
#endif
