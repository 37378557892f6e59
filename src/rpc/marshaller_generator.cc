#include "rpc/marshaller_generator.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "rpc/schema_layout.h"

namespace fixnet::rpc {

// The text of marshaller_abi.h and marshaller_runtime.inc (embedded at build time).
extern const char* const kMarshallerAbiText;
extern const char* const kMarshallerRuntimeText;

namespace pb = google::protobuf;

namespace {

using FD = pb::FieldDescriptor;

// Every message of the schema's files gets a number: its functions are m<N>_….
class Messages {
 public:
  explicit Messages(const pb::FileDescriptor* file) { add_file(file); }
  int index(const pb::Descriptor* m) const { return index_.at(m->full_name()); }
  const std::vector<const pb::Descriptor*>& all() const { return all_; }

 private:
  void add_file(const pb::FileDescriptor* file) {
    if (!files_.insert(file->name()).second) return;
    for (int i = 0; i < file->dependency_count(); ++i) add_file(file->dependency(i));
    for (int i = 0; i < file->message_type_count(); ++i) add(file->message_type(i));
  }
  void add(const pb::Descriptor* m) {
    index_[m->full_name()] = static_cast<int>(all_.size());
    all_.push_back(m);
    for (int i = 0; i < m->nested_type_count(); ++i) add(m->nested_type(i));
  }
  std::set<std::string> files_;
  std::map<std::string, int> index_;
  std::vector<const pb::Descriptor*> all_;
};

int wire_type(const FD* f) {
  switch (f->type()) {
    case FD::TYPE_FIXED32:
    case FD::TYPE_SFIXED32:
    case FD::TYPE_FLOAT: return 5;
    case FD::TYPE_FIXED64:
    case FD::TYPE_SFIXED64:
    case FD::TYPE_DOUBLE: return 1;
    case FD::TYPE_STRING:
    case FD::TYPE_BYTES:
    case FD::TYPE_MESSAGE: return 2;
    default: return 0;
  }
}

// Code appending the wire form (without tag) of scalar `f` whose stored bytes are at `p`, to `w`.
std::string encode_value(const FD* f, const std::string& p, const std::string& w) {
  switch (f->type()) {
    case FD::TYPE_INT32:
    case FD::TYPE_ENUM: return fmt::format("{}.varint(static_cast<uint64_t>(static_cast<int64_t>(load<int32_t>({}))));", w, p);
    case FD::TYPE_INT64: return fmt::format("{}.varint(static_cast<uint64_t>(load<int64_t>({})));", w, p);
    case FD::TYPE_UINT32: return fmt::format("{}.varint(load<uint32_t>({}));", w, p);
    case FD::TYPE_UINT64: return fmt::format("{}.varint(load<uint64_t>({}));", w, p);
    case FD::TYPE_SINT32: return fmt::format("{}.varint(zigzag32(load<int32_t>({})));", w, p);
    case FD::TYPE_SINT64: return fmt::format("{}.varint(zigzag64(load<int64_t>({})));", w, p);
    case FD::TYPE_BOOL: return fmt::format("{}.varint(load<uint8_t>({}) != 0 ? 1 : 0);", w, p);
    case FD::TYPE_FIXED32:
    case FD::TYPE_SFIXED32:
    case FD::TYPE_FLOAT: return fmt::format("{}.fixed32(load<uint32_t>({}));", w, p);
    default: return fmt::format("{}.fixed64(load<uint64_t>({}));", w, p);  // fixed64, sfixed64, double
  }
}

// Code reading one scalar of `f` from Reader `r` and storing it at `p` (its layout form).
std::string decode_value(const FD* f, const std::string& r, const std::string& p) {
  switch (f->type()) {
    case FD::TYPE_INT32:
    case FD::TYPE_ENUM: return fmt::format("store<int32_t>({}, static_cast<int32_t>({}.varint()));", p, r);
    case FD::TYPE_INT64: return fmt::format("store<int64_t>({}, static_cast<int64_t>({}.varint()));", p, r);
    case FD::TYPE_UINT32: return fmt::format("store<uint32_t>({}, static_cast<uint32_t>({}.varint()));", p, r);
    case FD::TYPE_UINT64: return fmt::format("store<uint64_t>({}, {}.varint());", p, r);
    case FD::TYPE_SINT32: return fmt::format("store<int32_t>({}, unzigzag32({}.varint()));", p, r);
    case FD::TYPE_SINT64: return fmt::format("store<int64_t>({}, unzigzag64({}.varint()));", p, r);
    case FD::TYPE_BOOL: return fmt::format("store<uint8_t>({}, {}.varint() != 0 ? 1 : 0);", p, r);
    case FD::TYPE_FIXED32:
    case FD::TYPE_SFIXED32:
    case FD::TYPE_FLOAT: return fmt::format("store<uint32_t>({}, {}.fixed32());", p, r);
    default: return fmt::format("store<uint64_t>({}, {}.fixed64());", p, r);
  }
}

std::string skip_value(const FD* f, const std::string& r) {
  const int t = wire_type(f);
  return t == 0 ? r + ".varint();" : t == 5 ? r + ".fixed32();" : r + ".fixed64();";
}

const char* utf8(const FD* f) { return f->type() == FD::TYPE_STRING ? "true" : "false"; }

// Code for the measuring pass: a length-delimited value's out-of-line bytes, checked for UTF-8 when
// `f` is a string field.
std::string measure_bytes(const FD* f) {
  if (f->type() != FD::TYPE_STRING) return "        expect(t, kLen, f);\n        total += align8(r.sub().size());\n";
  return fmt::format(
      "        expect(t, kLen, f);\n        {{\n          const Reader v = r.sub();\n"
      "          check_utf8(v.p, v.size(), \"{}\");\n          total += align8(v.size());\n        }}\n",
      f->full_name());
}

// layout → wire for message m.
void marshal_function(std::string& out, const Messages& messages, const pb::Descriptor* m) {
  const MessageLayout layout = layout_of(m);
  const int k = messages.index(m);
  out += fmt::format("// {}: layout → wire\n", m->full_name());
  out += fmt::format("void m{}_marshal(const Heap& h, uint64_t at, Wire& w, int depth) {{\n", k);
  out += "  check_depth(depth);\n";
  out += fmt::format("  uint8_t s[{}];\n  copy_in(h, at, sizeof s, s, \"{}\");\n", layout.size, m->full_name());
  for (const FieldSlot& slot : layout.slots) {
    const FD* f = slot.field;
    const std::string what = f->full_name();
    const uint32_t n = static_cast<uint32_t>(f->number());
    out += fmt::format("  {{  // {} = {}\n", f->name(), n);
    out += fmt::format("    const uint8_t* v = s + {};\n", slot.offset);
    switch (slot.kind) {
      case SlotKind::kScalar: {
        const uint64_t width = element_bytes(f);
        out += fmt::format("    uint8_t zero[{}] = {{}};\n", width);
        out += fmt::format("    if (std::memcmp(v, zero, {}) != 0) {{\n      w.tag({}, {});\n      {}\n    }}\n", width, n,
                           wire_type(f), encode_value(f, "v", "w"));
        break;
      }
      case SlotKind::kBytes:
        out += fmt::format("    bytes_field(h, w, {}, load<uint64_t>(v), load<uint64_t>(v + 8), false, {}, \"{}\");\n", n,
                           utf8(f), what);
        break;
      case SlotKind::kMessage: {
        const uint64_t size = layout_of(f->message_type()).size;
        out += fmt::format(
            "    const uint64_t length = load<uint64_t>(v + 8);\n"
            "    if (length != 0) {{\n"
            "      if (length != {0}) fail(kBadMessage, \"{1}: sub-message length is not {0}\");\n"
            "      Wire c(w.remaining());\n"
            "      m{2}_marshal(h, load<uint64_t>(v), c, depth + 1);\n"
            "      w.nested({3}, c);\n    }}\n",
            size, what, messages.index(f->message_type()), n);
        break;
      }
      case SlotKind::kRepeated: {
        const uint64_t e = element_bytes(f);
        out += fmt::format(
            "    const uint64_t from = load<uint64_t>(v), count = load<uint64_t>(v + 8);\n"
            "    if (count != 0) check_range(h, from, count, {}, \"{}\");\n",
            e, what);
        if (is_scalar(f)) {
          // proto3 packs repeated scalars. Each element is read from the heap exactly once.
          const std::string enc = encode_value(f, "h.base + from + i * " + std::to_string(e), "c");
          out += fmt::format(
              "    if (count != 0) {{\n      Wire c(w.remaining());\n"
              "      for (uint64_t i = 0; i < count; ++i) {{ {} }}\n"
              "      w.nested({}, c);\n    }}\n",
              enc, n);
        } else if (f->cpp_type() == FD::CPPTYPE_STRING) {
          out += fmt::format(
              "    for (uint64_t i = 0; i < count; ++i) {{\n"
              "      uint8_t pair[16];\n      std::memcpy(pair, h.base + from + i * 16, 16);\n"
              "      bytes_field(h, w, {}, load<uint64_t>(pair), load<uint64_t>(pair + 8), true, {}, \"{}\");\n    }}\n",
              n, utf8(f), what);
        } else {
          out += fmt::format(
              "    for (uint64_t i = 0; i < count; ++i) {{\n"
              "      Wire c(w.remaining());\n"
              "      m{}_marshal(h, from + i * {}, c, depth + 1);\n"
              "      w.nested({}, c);\n    }}\n",
              messages.index(f->message_type()), e, n);
        }
        break;
      }
    }
    out += "  }\n";
  }
  out += "}\n\n";
}

// wire → layout for message m: measure (validates everything, returns the out-of-line bytes), count
// (repeated fields' elements), write.
void unmarshal_functions(std::string& out, const Messages& messages, const pb::Descriptor* m) {
  const MessageLayout layout = layout_of(m);
  const int k = messages.index(m);
  std::vector<const FieldSlot*> repeated;
  for (const auto& slot : layout.slots)
    if (slot.kind == SlotKind::kRepeated) repeated.push_back(&slot);
  const size_t nr = std::max<size_t>(repeated.size(), 1);

  // measure
  out += fmt::format("// {}: wire → layout\n", m->full_name());
  out += fmt::format("uint64_t m{}_measure(Reader r, int depth) {{\n  check_depth(depth);\n  uint64_t total = 0;\n", k);
  if (!repeated.empty()) out += fmt::format("  uint64_t counts[{}] = {{}};\n", nr);
  out += "  while (!r.done()) {\n    int t;\n    const uint32_t f = r.key(t);\n    switch (f) {\n";
  for (size_t ri = 0, i = 0; i < layout.slots.size(); ++i) {
    const FieldSlot& slot = layout.slots[i];
    const FD* f = slot.field;
    out += fmt::format("      case {}: {{\n", f->number());
    switch (slot.kind) {
      case SlotKind::kScalar:
        out += fmt::format("        expect(t, {}, f);\n        {}\n", wire_type(f), skip_value(f, "r"));
        break;
      case SlotKind::kBytes:
        out += measure_bytes(f);
        break;
      case SlotKind::kMessage:
        out += fmt::format("        expect(t, kLen, f);\n        total += {} + m{}_measure(r.sub(), depth + 1);\n",
                           layout_of(f->message_type()).size, messages.index(f->message_type()));
        break;
      case SlotKind::kRepeated:
        if (is_scalar(f)) {
          out += fmt::format(
              "        if (t == kLen) {{\n          Reader p = r.sub();\n"
              "          while (!p.done()) {{ {} ++counts[{}]; }}\n"
              "        }} else {{\n          expect(t, {}, f);\n          {}\n          ++counts[{}];\n        }}\n",
              skip_value(f, "p"), ri, wire_type(f), skip_value(f, "r"), ri);
        } else if (f->cpp_type() == FD::CPPTYPE_STRING) {
          out += measure_bytes(f) + fmt::format("        ++counts[{}];\n", ri);
        } else {
          out += fmt::format("        expect(t, kLen, f);\n        total += m{}_measure(r.sub(), depth + 1);\n        ++counts[{}];\n",
                             messages.index(f->message_type()), ri);
        }
        ++ri;
        break;
    }
    out += "        break;\n      }\n";
  }
  out += "      default: r.skip(t);\n    }\n  }\n";
  for (size_t ri = 0; ri < repeated.size(); ++ri)
    out += fmt::format("  total += align8(counts[{}] * {});\n", ri, element_bytes(repeated[ri]->field));
  out += "  return total;\n}\n\n";

  // write: `s` is the message's struct in the destination buffer, zeroed; `in` its wire bytes, in
  // one part or (a merged sub-message) several, read in order.
  std::vector<const FieldSlot*> singular;  // singular message fields: their occurrences are merged
  for (const auto& slot : layout.slots)
    if (slot.kind == SlotKind::kMessage) singular.push_back(&slot);
  out += fmt::format("void m{}_write(const Parts& in, Out& o, uint64_t s_at, int depth) {{\n", k);
  out += "  check_depth(depth);\n";
  if (!singular.empty()) out += fmt::format("  Parts subs[{}];\n", singular.size());
  if (!repeated.empty()) {
    out += fmt::format("  uint64_t counts[{}] = {{}}, filled[{}] = {{}};\n", nr, nr);
    out += "  for (size_t part = 0; part < in.count; ++part)\n"
           "  for (Reader c = in.at(part); !c.done();) {\n    int t;\n    const uint32_t f = c.key(t);\n    switch (f) {\n";
    for (size_t ri = 0; ri < repeated.size(); ++ri) {
      const FD* f = repeated[ri]->field;
      out += fmt::format("      case {}:\n", f->number());
      if (is_scalar(f))
        out += fmt::format(
            "        if (t == kLen) {{\n          Reader p = c.sub();\n          while (!p.done()) {{ {} ++counts[{}]; }}\n"
            "        }} else {{\n          {}\n          ++counts[{}];\n        }}\n        break;\n",
            skip_value(f, "p"), ri, skip_value(f, "c"), ri);
      else
        out += fmt::format("        c.sub();\n        ++counts[{}];\n        break;\n", ri);
    }
    out += "      default: c.skip(t);\n    }\n  }\n";
    out += "  uint64_t arrays[" + std::to_string(nr) + "] = {};\n";
    for (size_t ri = 0; ri < repeated.size(); ++ri)
      out += fmt::format(
          "  if (counts[{0}] != 0) {{\n    arrays[{0}] = o.alloc(counts[{0}] * {1});\n"
          "    store<uint64_t>(o.at(s_at) + {2}, arrays[{0}]);\n    store<uint64_t>(o.at(s_at) + {3}, counts[{0}]);\n  }}\n",
          ri, element_bytes(repeated[ri]->field), repeated[ri]->offset, repeated[ri]->offset + 8);
  }
  out += "  for (size_t part = 0; part < in.count; ++part)\n"
         "  for (Reader r = in.at(part); !r.done();) {\n    int t;\n    const uint32_t f = r.key(t);\n    switch (f) {\n";
  for (size_t ri = 0, si = 0, i = 0; i < layout.slots.size(); ++i) {
    const FieldSlot& slot = layout.slots[i];
    const FD* f = slot.field;
    const std::string at = fmt::format("o.at(s_at) + {}", slot.offset);
    out += fmt::format("      case {}: {{\n", f->number());
    switch (slot.kind) {
      case SlotKind::kScalar: out += "        " + decode_value(f, "r", at) + "\n"; break;
      case SlotKind::kBytes: out += fmt::format("        o.bytes({}, r.sub());\n", at); break;
      case SlotKind::kMessage: out += fmt::format("        subs[{}].add(r.sub());\n", si++); break;
      case SlotKind::kRepeated: {
        const uint64_t e = element_bytes(f);
        const std::string elem = fmt::format("next(arrays[{0}], filled[{0}], counts[{0}], {1})", ri, e);
        if (is_scalar(f)) {
          out += fmt::format(
              "        if (t == kLen) {{\n          Reader p = r.sub();\n          while (!p.done()) {{ {} }}\n"
              "        }} else {{\n          {}\n        }}\n",
              decode_value(f, "p", "o.at(" + elem + ")"), decode_value(f, "r", "o.at(" + elem + ")"));
        } else if (f->cpp_type() == FD::CPPTYPE_STRING) {
          out += fmt::format("        o.bytes(o.at({}), r.sub());\n", elem);
        } else {
          out += fmt::format("        m{}_write(Parts::one(r.sub()), o, {}, depth + 1);\n",
                             messages.index(f->message_type()), elem);
        }
        ++ri;
        break;
      }
    }
    out += "        break;\n      }\n";
  }
  out += "      default: r.skip(t);\n    }\n  }\n";
  // Each singular sub-message once, from all its occurrences (measure counted each: enough room).
  for (size_t si = 0; si < singular.size(); ++si) {
    const FD* f = singular[si]->field;
    const uint64_t size = layout_of(f->message_type()).size;
    out += fmt::format(
        "  if (subs[{0}].count != 0) {{\n    const uint64_t sub = o.alloc({1});\n"
        "    store<uint64_t>(o.at(s_at) + {2}, sub);\n    store<uint64_t>(o.at(s_at) + {3}, {1});\n"
        "    m{4}_write(subs[{0}], o, sub, depth + 1);\n  }}\n",
        si, size, singular[si]->offset, singular[si]->offset + 8, messages.index(f->message_type()));
  }
  out += "}\n\n";
}

}  // namespace

std::string generate_marshaller(const Schema& schema) {
  const Messages messages(schema.file());
  std::string out;
  out += fmt::format("// Generated by the fixnet RPC service (marshaller generator version {}) for schema\n// {} ({}).\n",
                     kMarshallerGeneratorVersion, schema.hash_hex(), schema.file()->name());
  out += kMarshallerAbiText;
  out += "\n";
  out += kMarshallerRuntimeText;
  out += "\nnamespace {\n\n";
  for (const auto* m : messages.all()) {
    const int k = messages.index(m);
    out += fmt::format("void m{0}_marshal(const Heap&, uint64_t, Wire&, int);\nuint64_t m{0}_measure(Reader, int);\n"
                       "void m{0}_write(const Parts&, Out&, uint64_t, int);\n",
                       k);
  }
  out += "\n";
  for (const auto* m : messages.all()) {
    marshal_function(out, messages, m);
    unmarshal_functions(out, messages, m);
  }

  // Dispatch by method: the message type of each method's request (reply = 0) and reply.
  out += "// The message of a method's request or reply: {index, struct bytes}, or {-1, 0}.\n";
  out += "struct Root {\n  int index;\n  uint64_t size;\n};\nRoot root(uint32_t method, int reply) {\n  switch (method) {\n";
  for (const auto& method : schema.methods()) {
    const auto* in = method.method->input_type();
    const auto* o = method.method->output_type();
    out += fmt::format("    case {}: return reply ? Root{{{}, {}}} : Root{{{}, {}}};\n", method.id, messages.index(o),
                       layout_of(o).size, messages.index(in), layout_of(in).size);
  }
  out += "    default: return Root{-1, 0};\n  }\n}\n\n";
  out += "void dispatch_marshal(int index, const Heap& h, uint64_t at, Wire& w) {\n  switch (index) {\n";
  for (const auto* m : messages.all()) out += fmt::format("    case {0}: return m{0}_marshal(h, at, w, 0);\n", messages.index(m));
  out += "  }\n}\n";
  out += "uint64_t dispatch_measure(int index, Reader r) {\n  switch (index) {\n";
  for (const auto* m : messages.all()) out += fmt::format("    case {0}: return m{0}_measure(r, 0);\n", messages.index(m));
  out += "  }\n  return 0;\n}\n";
  out += "void dispatch_write(int index, Reader r, Out& o, uint64_t at) {\n  switch (index) {\n";
  for (const auto* m : messages.all()) out += fmt::format("    case {0}: return m{0}_write(Parts::one(r), o, at, 0);\n", messages.index(m));
  out += "  }\n}\n\n";

  out += R"(int marshal(uint32_t method, int reply, const uint8_t* heap, uint64_t heap_size, uint64_t offset,
            uint64_t length, uint64_t max_wire, fixnet_rpc_wire_sink* sink, char* error, size_t error_size) {
  try {
    const Root r = root(method, reply);
    if (r.index < 0) fail(4, "unknown method " + std::to_string(method));
    if (length != r.size)
      fail(kBadMessage, "the message is " + std::to_string(length) + " bytes; its type's layout has " + std::to_string(r.size));
    Wire w(max_wire);
    dispatch_marshal(r.index, Heap{heap, heap_size}, offset, w);
    for (const Piece& p : w.pieces) {
      if (p.heap) sink->reference(sink->context, p.offset, p.length);
      else sink->copy(sink->context, reinterpret_cast<const uint8_t*>(w.made.data()) + p.offset, p.length);
    }
    return 0;
  } catch (const Fail& f) {
    return report(f, error, error_size);
  } catch (const std::bad_alloc&) {
    return report(Fail{kTooLarge, "out of memory while marshalling"}, error, error_size);
  }
}

int unmarshal(uint32_t method, int reply, const uint8_t* wire, uint64_t wire_length, fixnet_rpc_layout_sink* sink,
              uint64_t* offset, uint64_t* length, char* error, size_t error_size) {
  try {
    const Root r = root(method, reply);
    if (r.index < 0) fail(4, "unknown method " + std::to_string(method));
    const Reader in{wire, wire + wire_length};
    const uint64_t need = align8(r.size) + dispatch_measure(r.index, in);
    uint64_t at = 0;
    uint8_t* base = sink->allocate(sink->context, need, &at);
    if (base == nullptr) fail(kNoReceiveSpace, "no room for the message in the receive heap");
    Out o{base, at, 0, need};
    const uint64_t root_at = o.alloc(r.size);
    dispatch_write(r.index, in, o, root_at);
    *offset = root_at;
    *length = r.size;
    return 0;
  } catch (const Fail& f) {
    return report(f, error, error_size);
  } catch (const std::bad_alloc&) {
    return report(Fail{kTooLarge, "out of memory while unmarshalling"}, error, error_size);
  }
}

}  // namespace

)";
  out += "extern \"C\" __attribute__((visibility(\"default\"))) const fixnet_rpc_marshaller* fixnet_rpc_marshaller_entry(void) {\n";
  out += fmt::format("  static const fixnet_rpc_marshaller descriptor = {{FIXNET_RPC_MARSHALLER_ABI_VERSION, {}, {{", kLayoutVersion);
  for (size_t i = 0; i < schema.hash().size(); ++i) out += fmt::format("{}{}", i ? "," : "", schema.hash()[i]);
  out += fmt::format("}}, {}, &marshal, &unmarshal}};\n  return &descriptor;\n}}\n", schema.methods().size());
  return out;
}

}  // namespace fixnet::rpc
