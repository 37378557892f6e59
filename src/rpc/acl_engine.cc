// The access-control policy ("acl"): denies calls by their argument values. Config: rules separated
// by ';' or newlines, each `METHOD FIELD OP VALUE` — a call of METHOD whose request's top-level FIELD
// compares true is answered with status 9 (denied) and never reaches the transport. METHOD is a
// method's name (`Put`), SERVICE.METHOD (`KeyValue.Put`) or full name (`fixnet.examples.kv.KeyValue.Put`); FIELD a singular string,
// bytes, integer, bool or enum field of its request; OP ==, != or prefix for strings and bytes,
// ==, !=, <, <=, >, >= for numbers; VALUE a number, true/false, a word or a "quoted string".
// Names are resolved through the application's schema when the rules are loaded: an unknown method
// or field, or a field of another kind, refuses the whole configuration.
//
// Time of check = time of use. The engine sits after the marshalling engine (placement
// FIXNET_RPC_AFTER_MARSHAL) and reads the wire encoding, whose structure (tags, lengths, numbers) the
// marshaller wrote into private memory. The string and bytes values it inspects are still
// references into the application's send heap: it copies each into private memory, checks the
// copy, and replaces the reference by the copy in what goes to the transport. So what was checked is
// exactly what is sent, however the application rewrites its heap meanwhile.
#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "rpc/acl_rules.h"
#include "rpc/policy_support.h"
#include "rpc/schema.h"

namespace fixnet::rpc {
namespace {

using namespace acl;

constexpr uint32_t kStateVersion = 1;

// The wire encoding of one request, read with every byte looked at taken from private memory.
class WireReader {
 public:
  WireReader(const WirePayload& wire, DatapathContext& context) : wire_(wire), context_(context) {}

  // Bytes [at, at + n) of the encoding, copied; false if it ends first.
  bool copy(uint64_t at, uint64_t n, std::string& out) {
    out.clear();
    if (at > wire_.length || n > wire_.length - at) return false;
    uint64_t start = 0;
    for (const auto& p : wire_.pieces) {
      const uint64_t end = start + p.length;
      if (end > at && start < at + n) {
        const uint64_t from = std::max(at, start) - start, to = std::min(at + n, end) - start;
        const uint8_t* bytes = p.heap ? context_.request_bytes(p.offset + from, to - from).data()
                                      : reinterpret_cast<const uint8_t*>(wire_.made.data()) + p.offset + from;
        out.append(reinterpret_cast<const char*>(bytes), to - from);
        if (p.heap) pins_.push_back({start + from, std::string(out.end() - (to - from), out.end())});
      }
      start = end;
      if (start >= at + n) break;
    }
    return true;
  }
  bool varint(uint64_t& at, uint64_t& value) {
    value = 0;
    std::string b;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!copy(at++, 1, b)) return false;
      value |= uint64_t(uint8_t(b[0]) & 0x7f) << shift;
      if ((uint8_t(b[0]) & 0x80) == 0) return true;
    }
    return false;
  }
  // The payload to send: the original with every heap range that was read replaced by its copy.
  std::shared_ptr<const WirePayload> pinned() const {
    if (pins_.empty()) return nullptr;
    auto out = std::make_shared<WirePayload>();
    out->made = wire_.made;
    out->length = wire_.length;
    uint64_t start = 0;
    size_t next = 0;  // pins are in stream order
    for (const auto& p : wire_.pieces) {
      uint64_t at = start;
      const uint64_t end = start + p.length;
      while (p.heap && next < pins_.size() && pins_[next].at < end) {
        const auto& pin = pins_[next++];
        if (pin.at > at) out->pieces.push_back({true, p.offset + (at - start), pin.at - at});
        out->pieces.push_back({false, out->made.size(), pin.bytes.size()});
        out->made += pin.bytes;
        at = pin.at + pin.bytes.size();
      }
      if (!p.heap) out->pieces.push_back(p);
      else if (at < end) out->pieces.push_back({true, p.offset + (at - start), end - at});
      start = end;
    }
    return out;
  }

 private:
  struct Pin {
    uint64_t at;
    std::string bytes;
  };
  const WirePayload& wire_;
  DatapathContext& context_;
  std::vector<Pin> pins_;
};

class AclEngine final : public Engine {
 public:
  explicit AclEngine(DatapathContext& context) : context_(context) {}
  const char* name() const override { return "acl"; }

  size_t do_work(EnginePorts& ports) override {
    size_t work = policy::forward(*ports.replies_in, *ports.replies_out);
    for (size_t n = 0; n < policy::kBudget && !ports.requests_in->empty(); ++n, ++work) {
      RpcMessage m = std::move(ports.requests_in->front());
      ports.requests_in->pop_front();
      if (m.kind == Kind::kRequest && m.wire && !admit(m)) {
        RpcMessage reply;
        reply.call_id = m.call_id;
        reply.method = m.method;
        reply.status = Status::kDenied;
        reply.done_offset = m.offset;
        ports.replies_out->push_back(reply);
        ++denied_;
        continue;
      }
      ++passed_;
      ports.requests_out->push_back(std::move(m));
    }
    return work;
  }

  void configure(std::string_view config) override {
    const Schema* schema = context_.schema();
    if (schema == nullptr) throw InputError("acl: the application sends raw bytes; rules need its schema");
    auto rules = parse_rules(*schema, config);
    rules_ = std::move(rules);
  }

  EngineState decompose() override { return counters_state(kStateVersion, {passed_, denied_}); }
  void restore(const EngineState& state) override { restore_counters(state, kStateVersion, "acl", {&passed_, &denied_}); }
  void report(EngineReport& r) const override {
    r.counters = {{"passed", passed_}, {"denied", denied_}, {"rules", rules_.size()}};
  }

 private:
  // Whether no rule denies `m`; pins what it read into m.wire.
  bool admit(RpcMessage& m) {
    bool any = false;
    for (const Rule& r : rules_) any = any || r.method == m.method;
    if (!any) return true;
    WireReader reader(*m.wire, context_);
    std::vector<std::pair<uint32_t, std::string>> text_values;  // field → last value seen
    std::vector<std::pair<uint32_t, uint64_t>> number_values;
    uint64_t at = 0;
    std::string bytes;
    while (at < m.wire->length) {
      uint64_t key;
      if (!reader.varint(at, key)) return false;  // our own marshaller wrote it; refuse what we cannot read
      const uint32_t field = static_cast<uint32_t>(key >> 3);
      const bool inspected = std::any_of(rules_.begin(), rules_.end(),
                                         [&](const Rule& r) { return r.method == m.method && r.field == field; });
      uint64_t value = 0;
      switch (key & 7) {
        case 0:
          if (!reader.varint(at, value)) return false;
          break;
        case 1:
        case 5: {
          const uint64_t n = (key & 7) == 1 ? 8 : 4;
          if (!reader.copy(at, n, bytes)) return false;
          std::memcpy(&value, bytes.data(), n);
          at += n;
          break;
        }
        case 2: {
          uint64_t length;
          if (!reader.varint(at, length) || length > m.wire->length - at) return false;
          if (inspected) {
            if (!reader.copy(at, length, bytes)) return false;
            text_values.emplace_back(field, bytes);
          }
          at += length;
          continue;
        }
        default: return false;
      }
      if (inspected) number_values.emplace_back(field, value);
    }
    if (auto pinned = reader.pinned()) m.wire = std::move(pinned);
    for (const Rule& r : rules_) {
      if (r.method != m.method) continue;
      // proto3: an absent field has its default; the last occurrence wins, as for the receiver.
      std::string text;
      uint64_t number = 0;
      for (const auto& [f, v] : text_values)
        if (f == r.field) text = v;
      for (const auto& [f, v] : number_values)
        if (f == r.field) number = v;
      if (matches(r, text, number)) return false;
    }
    return true;
  }

  DatapathContext& context_;
  std::vector<Rule> rules_;
  uint64_t passed_ = 0, denied_ = 0;
};

Engine* create(DatapathContext* context, const char*) { return new AclEngine(*context); }

const fixnet_rpc_engine_plugin kAclPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "acl", &create, FIXNET_RPC_AFTER_MARSHAL};

}  // namespace
}  // namespace fixnet::rpc

FIXNET_RPC_EXPORT_POLICY(builtin_acl_engine, fixnet::rpc::kAclPlugin)
