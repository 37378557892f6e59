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
// references into the application's send heap: it copies each into the engine's private buffer,
// checks the copy, and (for a call it passes) replaces the reference by the copy in what goes to the
// transport. So what was checked is exactly what is sent, however the application rewrites its heap
// meanwhile. Structure (a tag, length or number) found in the heap instead of private bytes — which
// our marshaller never writes — denies the call rather than being read twice.
//
// Cost. Rules are resolved when they load into a plan per method id: the fields its rules inspect
// (each a slot) and the rules over those slots. A call of a method without rules costs one index; one
// with rules one walk of the tags, a copy of each inspected value into the private buffer and the
// compiled comparisons — no heap allocation (the buffer and tables grow to their high-water mark and
// stay). Pinning a passed call's copies grows its payload's private bytes once when they lack room.
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

// The rules of one method, resolved at load.
struct MethodPlan {
  std::vector<uint32_t> fields;  // the inspected field numbers; a field's slot is its index
  struct Check {
    size_t slot;
    Rule rule;
  };
  std::vector<Check> checks;
};

// One inspected field's value in one call: the last occurrence wins, as for the receiver; an absent
// field has its default (proto3).
struct Slot {
  uint64_t number = 0;                 // a varint or fixed field's raw wire value
  uint64_t copy_at = 0, length = 0;    // a length-delimited one's bytes in the private buffer
};

// A heap range of the payload whose private copy must replace it if the call passes.
struct Pin {
  size_t piece;
  uint64_t within, length, copy_at;
};

// Reads a request's wire encoding front to back, piece by piece, without allocating.
class WireCursor {
 public:
  explicit WireCursor(const WirePayload& wire) : wire_(wire) {}
  bool done() const { return at_ >= wire_.length; }
  uint64_t left() const { return wire_.length - at_; }

  // A varint from private bytes only (see the top of the file).
  bool varint(uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b;
      if (!made_byte(b)) return false;
      value |= uint64_t(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  // A little-endian fixed-width number of n bytes from private bytes only.
  bool fixed(unsigned n, uint64_t& value) {
    value = 0;
    for (unsigned i = 0; i < n; ++i) {
      uint8_t b;
      if (!made_byte(b)) return false;
      value |= uint64_t(b) << (8 * i);
    }
    return true;
  }
  // Calls `segment(piece index, offset within the piece, length)` for each piece part of the next n
  // bytes, and moves past them.
  template <class Segment>
  bool take(uint64_t n, Segment&& segment) {
    if (n > left()) return false;
    while (n > 0) {
      const auto& p = wire_.pieces[piece_];
      const uint64_t part = std::min(n, p.length - within_);
      if (part > 0) segment(piece_, within_, part);
      advance(part);
      n -= part;
    }
    return true;
  }

 private:
  bool made_byte(uint8_t& b) {
    if (done()) return false;
    settle();
    const auto& p = wire_.pieces[piece_];
    if (p.heap) return false;
    b = static_cast<uint8_t>(wire_.made[p.offset + within_]);
    advance(1);
    return true;
  }
  // Past empty and finished pieces.
  void settle() {
    while (piece_ < wire_.pieces.size() && within_ >= wire_.pieces[piece_].length) ++piece_, within_ = 0;
  }
  void advance(uint64_t n) {
    within_ += n;
    at_ += n;
    settle();
  }

  const WirePayload& wire_;
  size_t piece_ = 0;
  uint64_t within_ = 0, at_ = 0;
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
    std::vector<MethodPlan> plans;
    size_t most_fields = 0;
    for (Rule& r : rules) {
      if (plans.size() <= r.method) plans.resize(r.method + 1);
      MethodPlan& plan = plans[r.method];
      auto field = std::find(plan.fields.begin(), plan.fields.end(), r.field);
      if (field == plan.fields.end()) field = plan.fields.insert(plan.fields.end(), r.field);
      plan.checks.push_back({size_t(field - plan.fields.begin()), std::move(r)});
      most_fields = std::max(most_fields, plan.fields.size());
    }
    // Nothing throws from here: the new plan replaces the old whole.
    plans_ = std::move(plans);
    rule_count_ = rules.size();
    slots_.assign(most_fields, Slot{});
    pins_.reserve(std::max<size_t>(pins_.capacity(), 4 * most_fields));
  }

  EngineState decompose() override { return counters_state(kStateVersion, {passed_, denied_}); }
  void restore(const EngineState& state) override { restore_counters(state, kStateVersion, "acl", {&passed_, &denied_}); }
  void report(EngineReport& r) const override {
    r.counters = {{"passed", passed_}, {"denied", denied_}, {"rules", rule_count_}};
  }

 private:
  // Whether no rule denies `m`; a call it passes goes on with the copies it checked (pin).
  bool admit(RpcMessage& m) {
    if (m.method >= plans_.size() || plans_[m.method].checks.empty()) return true;
    const MethodPlan& plan = plans_[m.method];
    const WirePayload& wire = *m.wire;
    // Every value copied fits in the message's length: one check here, none per copy.
    if (copy_.size() < wire.length) copy_.resize(wire.length);
    std::fill_n(slots_.begin(), plan.fields.size(), Slot{});
    pins_.clear();
    uint64_t used = 0;
    WireCursor cursor(wire);
    while (!cursor.done()) {
      uint64_t key;
      if (!cursor.varint(key)) return false;  // our own marshaller wrote it; refuse what we cannot read
      const auto field = std::find(plan.fields.begin(), plan.fields.end(), static_cast<uint32_t>(key >> 3));
      Slot* slot = field == plan.fields.end() ? nullptr : &slots_[field - plan.fields.begin()];
      uint64_t number = 0;
      switch (key & 7) {
        case 0:
          if (!cursor.varint(number)) return false;
          break;
        case 1:
        case 5:
          if (!cursor.fixed((key & 7) == 1 ? 8 : 4, number)) return false;
          break;
        case 2: {
          uint64_t length;
          if (!cursor.varint(length) || length > cursor.left()) return false;
          if (slot == nullptr) {
            cursor.take(length, [](size_t, uint64_t, uint64_t) {});
            continue;
          }
          slot->copy_at = used;
          slot->length = length;
          cursor.take(length, [&](size_t piece, uint64_t within, uint64_t n) { used = copy(wire, piece, within, n, used); });
          continue;
        }
        default: return false;
      }
      if (slot != nullptr) slot->number = number;
    }
    for (const auto& check : plan.checks) {
      const Slot& s = slots_[check.slot];
      const std::string_view text(reinterpret_cast<const char*>(copy_.data()) + s.copy_at, s.length);
      if (matches(check.rule, text, s.number)) return false;
    }
    if (!pins_.empty()) pin(m);
    return true;
  }

  // Copies piece part [within, within + n) of `wire` to copy_[used…); the new end of what is used.
  uint64_t copy(const WirePayload& wire, size_t piece, uint64_t within, uint64_t n, uint64_t used) {
    const auto& p = wire.pieces[piece];
    const uint8_t* from = p.heap ? context_.request_bytes(p.offset + within, n).data()
                                 : reinterpret_cast<const uint8_t*>(wire.made.data()) + p.offset + within;
    std::memcpy(copy_.data() + used, from, n);
    if (p.heap) pins_.push_back({piece, within, n, used});
    return used + n;
  }

  // Puts the checked copies in place of the heap ranges they came from, in what goes to the
  // transport. The payload is edited in place when this call alone holds it (as the marshaller
  // hands it over: it was made mutable, so the edit is sound); otherwise edited as a copy.
  void pin(RpcMessage& m) {
    WirePayload* wire;
    if (m.wire.use_count() == 1) {
      wire = const_cast<WirePayload*>(m.wire.get());
    } else {
      auto own = std::make_shared<WirePayload>(*m.wire);
      wire = own.get();
      m.wire = std::move(own);
    }
    uint64_t bytes = 0;
    for (const Pin& p : pins_) bytes += p.length;
    wire->made.reserve(wire->made.size() + bytes);
    // Back to front, so that splitting a piece leaves the indices of earlier pins as they were.
    for (auto pin = pins_.rbegin(); pin != pins_.rend(); ++pin) {
      const WirePayload::Piece whole = wire->pieces[pin->piece];
      const WirePayload::Piece copied{false, wire->made.size(), pin->length};
      wire->made.append(reinterpret_cast<const char*>(copy_.data()) + pin->copy_at, pin->length);
      const uint64_t after = whole.length - pin->within - pin->length;
      if (pin->within == 0 && after == 0) {
        wire->pieces[pin->piece] = copied;  // the usual case: the value was the whole reference
        continue;
      }
      auto at = wire->pieces.begin() + static_cast<ptrdiff_t>(pin->piece);
      if (pin->within == 0) {
        *at = copied;
      } else {
        at->length = pin->within;
        at = wire->pieces.insert(at + 1, copied);
      }
      if (after > 0) wire->pieces.insert(at + 1, {true, whole.offset + pin->within + pin->length, after});
    }
  }

  DatapathContext& context_;
  std::vector<MethodPlan> plans_;  // by method id
  size_t rule_count_ = 0;
  // Per call, reused: the inspected values, their private copies, and the heap ranges they replace.
  std::vector<Slot> slots_;
  std::vector<uint8_t> copy_;
  std::vector<Pin> pins_;
  uint64_t passed_ = 0, denied_ = 0;
};

Engine* create(DatapathContext* context, const char*) { return new AclEngine(*context); }

const fixnet_rpc_engine_plugin kAclPlugin = {FIXNET_RPC_ENGINE_ABI_VERSION, "acl", &create, FIXNET_RPC_AFTER_MARSHAL};

}  // namespace
}  // namespace fixnet::rpc

FIXNET_RPC_EXPORT_ENGINE(builtin_acl_engine, fixnet::rpc::kAclPlugin)
