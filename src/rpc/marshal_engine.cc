// The marshalling engine ("marshal", built in; config: the path of a compiled marshaller): sits
// between the frontend and the transport of an application that speaks a schema (docs/rpc.md,
// "Marshalling"). Toward the transport it turns each message from the heap layout into the protobuf
// wire encoding — made bytes plus references into the send heap, no copy of string/bytes data —;
// toward the application it turns wire bytes in the receive heap into the layout, in a new receive
// buffer, and frees the wire buffer.
//
// Calling role: requests (kind Request) are marshalled as the method's request type, replies
// unmarshalled as its reply type. Serving role: a remote caller's request (kind Request toward the
// application) is unmarshalled as the request type, and the application's reply (kind Reply toward
// the transport) marshalled as the reply type of the method it answers (remembered by call id).
// A message that does not fit its schema is never passed on: the caller gets status 8 (bad message);
// the engine logs why and goes on.
#include <cstring>
#include <unordered_map>

#include "core/error.h"
#include "net/log.h"
#include "rpc/engine_plugin.h"
#include "rpc/marshaller.h"

namespace fixnet::rpc {

namespace {

using net::LogLevel;

constexpr size_t kBudget = 32;
constexpr uint32_t kStateVersion = 1;
constexpr size_t kErrorBytes = 200;

class MarshalEngine final : public Engine {
 public:
  MarshalEngine(DatapathContext& context, std::shared_ptr<const Marshaller> marshaller)
      : context_(context), marshaller_(std::move(marshaller)), code_(marshaller_->code()) {}

  const char* name() const override { return "marshal"; }

  size_t do_work(EnginePorts& ports) override {
    size_t work = 0;
    for (; work < kBudget && !ports.requests_in->empty(); ++work) {
      RpcMessage m = std::move(ports.requests_in->front());
      ports.requests_in->pop_front();
      toward_transport(m, ports);
    }
    for (size_t n = 0; n < kBudget && !ports.replies_in->empty(); ++n, ++work) {
      RpcMessage m = std::move(ports.replies_in->front());
      ports.replies_in->pop_front();
      toward_application(m, ports);
    }
    return work;
  }

  EngineState decompose() override { return counters_state(kStateVersion, {marshalled_, refused_}); }

  void restore(const EngineState& state) override {
    restore_counters(state, kStateVersion, "marshal", {&marshalled_, &refused_});
  }

  void report(EngineReport& r) const override { r.counters = {{"marshalled", marshalled_}, {"refused", refused_}}; }

 private:
  struct Sink {
    DatapathContext* context;
    WirePayload* wire;
  };

  static void copy(void* c, const uint8_t* bytes, uint64_t length) {
    auto* wire = static_cast<Sink*>(c)->wire;
    wire->pieces.push_back({false, wire->made.size(), length});
    wire->made.append(reinterpret_cast<const char*>(bytes), length);
    wire->length += length;
  }
  static void reference(void* c, uint64_t offset, uint64_t length) {
    auto* wire = static_cast<Sink*>(c)->wire;
    wire->pieces.push_back({true, offset, length});
    wire->length += length;
  }
  static uint8_t* allocate(void* c, uint64_t length, uint64_t* offset) {
    auto buffer = static_cast<Sink*>(c)->context->allocate_reply(length);
    if (!buffer) return nullptr;
    std::memset(buffer->bytes.data(), 0, length);
    *offset = buffer->offset;
    return buffer->bytes.data();
  }

  void toward_transport(RpcMessage& m, EnginePorts& ports) {
    const bool serving_reply = m.kind == Kind::kReply;
    uint32_t method = m.method;
    if (serving_reply) {
      auto it = serving_methods_.find(m.call_id);
      method = it == serving_methods_.end() ? 0 : it->second;
      if (it != serving_methods_.end()) serving_methods_.erase(it);
      m.method = method;
      // The handler failed the call: its bytes are a message for the caller, not a reply to marshal.
      if (m.status != Status::kOk) return ports.requests_out->push_back(std::move(m));
    }
    auto wire = std::make_shared<WirePayload>();
    Sink sink{&context_, wire.get()};
    fixnet_rpc_wire_sink abi{&sink, &copy, &reference};
    char error[kErrorBytes] = {};
    const auto heap = context_.send_heap();
    const int status = code_.marshal(method, serving_reply ? 1 : 0, heap.data(), heap.size(), m.offset, m.length,
                                     context_.max_message_bytes(), &abi, error, sizeof error);
    if (status != 0) {
      ++refused_;
      net::log(LogLevel::kWarning, "rpc", "connection {}: call {} method {}: {}", context_.connection_id(), m.call_id,
               method, one_line(error, 200));
      if (serving_reply) {
        // The remote caller learns it (an Error frame); the application's buffer comes back.
        m.status = static_cast<Status>(status);
        ports.requests_out->push_back(std::move(m));
        return;
      }
      RpcMessage reply;
      reply.call_id = m.call_id;
      reply.method = m.method;
      reply.status = static_cast<Status>(status);
      reply.done_offset = m.offset;
      ports.replies_out->push_back(reply);
      return;
    }
    ++marshalled_;
    m.wire = std::move(wire);
    ports.requests_out->push_back(std::move(m));
  }

  void toward_application(RpcMessage& m, EnginePorts& ports) {
    if (m.call_id == 0 || m.status != Status::kOk || m.offset == kNoOffset) {
      ports.replies_out->push_back(std::move(m));  // only a done_offset, or a failure: nothing to decode
      return;
    }
    const bool serving_request = m.kind == Kind::kRequest;
    const auto wire = context_.reply_bytes(m.offset, m.length);
    Sink sink{&context_, nullptr};
    fixnet_rpc_layout_sink abi{&sink, &allocate};
    uint64_t offset = kNoOffset, length = 0;
    char error[kErrorBytes] = {};
    const int status = code_.unmarshal(m.method, serving_request ? 0 : 1, wire.data(), wire.size(), &abi, &offset,
                                       &length, error, sizeof error);
    context_.free_reply(m.offset);  // the wire bytes are done with either way
    m.offset = kNoOffset;
    m.length = 0;
    if (status != 0) {
      ++refused_;
      net::log(LogLevel::kWarning, "rpc", "connection {}: {} of method {}: {}", context_.connection_id(),
               serving_request ? "request" : "reply", m.method, one_line(error, 200));
      if (serving_request) {
        // Answer the remote caller with the status; the application never sees the request.
        RpcMessage refusal;
        refusal.kind = Kind::kReply;
        refusal.call_id = m.call_id;
        refusal.method = m.method;
        refusal.status = static_cast<Status>(status);
        ports.requests_out->push_back(refusal);
        return;
      }
      m.status = static_cast<Status>(status);
      ports.replies_out->push_back(std::move(m));
      return;
    }
    if (serving_request) serving_methods_[m.call_id] = m.method;
    m.offset = offset;
    m.length = length;
    ports.replies_out->push_back(std::move(m));
  }

  DatapathContext& context_;
  std::shared_ptr<const Marshaller> marshaller_;
  const fixnet_rpc_marshaller& code_;
  std::unordered_map<uint64_t, uint32_t> serving_methods_;  // serving role: call id → method
  uint64_t marshalled_ = 0, refused_ = 0;
};

Engine* create(DatapathContext* context, const char* config) {
  try {
    return new MarshalEngine(*context, Marshaller::load(config, context->schema_hash()));
  } catch (const Error& e) {
    net::log(LogLevel::kError, "rpc", "marshal engine: {}", e.what());
    return nullptr;
  }
}

const fixnet_rpc_engine_plugin kPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "marshal", &create, FIXNET_RPC_BEFORE_MARSHAL};

}  // namespace

const fixnet_rpc_engine_plugin* builtin_marshal_engine() { return &kPlugin; }

}  // namespace fixnet::rpc
