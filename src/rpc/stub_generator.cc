#include "rpc/stub_generator.h"

#include <fmt/format.h>

#include <cctype>

#include "rpc/schema_layout.h"

namespace fixnet::rpc {

namespace pb = google::protobuf;

namespace {

const char* const kView = "::fixnet::rpc::stub::View";

// A message's or enum's C++ name: its full name without the package, '.' → '_' (as protobuf's C++).
template <class D>
std::string cpp_name(const D* d) {
  std::string name = d->full_name();
  const std::string& package = d->file()->package();
  if (!package.empty()) name = name.substr(package.size() + 1);
  for (char& c : name)
    if (c == '.') c = '_';
  return name;
}

// A C++ reference to a type from any file of the schema (imports may have other packages).
template <class D>
std::string qualified(const D* d) {
  std::string ns = "::";
  for (char c : d->file()->package()) ns += c == '.' ? std::string("::") : std::string(1, c);
  if (ns != "::") ns += "::";
  return ns + cpp_name(d);
}

std::string identifier(std::string text) {
  for (char& c : text)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return text;
}

std::string schema_namespace(const pb::FileDescriptor* file) {
  std::string stem = file->name();
  if (auto slash = stem.rfind('/'); slash != std::string::npos) stem = stem.substr(slash + 1);
  if (auto dot = stem.rfind(".proto"); dot != std::string::npos) stem = stem.substr(0, dot);
  return "schema_" + identifier(stem);
}

std::string namespace_name(const pb::FileDescriptor* file) {
  std::string out;
  for (char c : file->package()) out += c == '.' ? std::string("::") : std::string(1, c);
  return out;
}

void enums(std::string& out, const pb::EnumDescriptor* e, bool nested) {
  const std::string name = cpp_name(e);
  out += fmt::format("enum {} : int32_t {{\n", name);
  for (int i = 0; i < e->value_count(); ++i)
    out += fmt::format("  {}{} = {},\n", nested ? name + "_" : "", e->value(i)->name(), e->value(i)->number());
  out += "};\n\n";
}

void all_enums(std::string& out, const pb::Descriptor* m) {
  for (int i = 0; i < m->enum_type_count(); ++i) enums(out, m->enum_type(i), true);
  for (int i = 0; i < m->nested_type_count(); ++i) all_enums(out, m->nested_type(i));
}

void all_messages(const pb::Descriptor* m, std::vector<const pb::Descriptor*>& out) {
  out.push_back(m);
  for (int i = 0; i < m->nested_type_count(); ++i) all_messages(m->nested_type(i), out);
}

std::string scalar_type(const pb::FieldDescriptor* f) {
  if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_ENUM) return qualified(f->enum_type());
  return scalar_ctype(f);
}

// Declarations inside the class; definitions of accessors that need another message's complete
// type go to `after`.
void message_class(std::string& out, std::string& after, const pb::Descriptor* m) {
  const std::string name = cpp_name(m);
  const MessageLayout layout = layout_of(m);
  out += fmt::format("// {}\n", m->full_name());
  out += fmt::format("class {} : public {} {{\n public:\n", name, kView);
  out += fmt::format("  static constexpr uint64_t kLayoutBytes = {};\n", layout.size);
  out += fmt::format("  {}() = default;\n", name);
  out += fmt::format(
      "  {}(const uint8_t* heap, uint64_t heap_size, uint64_t offset, ::fixnet::rpc::stub::Arena* arena)\n"
      "      : View(heap, heap_size, offset, arena, kLayoutBytes) {{}}\n\n",
      name);
  for (const FieldSlot& slot : layout.slots) {
    const pb::FieldDescriptor* f = slot.field;
    const std::string& n = f->name();
    const uint64_t at = slot.offset;
    const bool is_string = f->type() == pb::FieldDescriptor::TYPE_STRING;
    switch (slot.kind) {
      case SlotKind::kScalar: {
        const std::string t = scalar_type(f);
        if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_BOOL) {
          out += fmt::format("  bool {0}() const {{ return scalar<uint8_t>({1}) != 0; }}\n", n, at);
          out += fmt::format("  void set_{0}(bool v) {{ set_scalar<uint8_t>({1}, v ? 1 : 0); }}\n", n, at);
        } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_ENUM) {
          out += fmt::format("  {0} {1}() const {{ return static_cast<{0}>(scalar<int32_t>({2})); }}\n", t, n, at);
          out += fmt::format("  void set_{1}({0} v) {{ set_scalar<int32_t>({2}, static_cast<int32_t>(v)); }}\n", t, n, at);
        } else {
          out += fmt::format("  {0} {1}() const {{ return scalar<{0}>({2}); }}\n", t, n, at);
          out += fmt::format("  void set_{1}({0} v) {{ set_scalar<{0}>({2}, v); }}\n", t, n, at);
        }
        break;
      }
      case SlotKind::kBytes:
        if (is_string) {
          out += fmt::format("  std::string_view {0}() const {{ return text({1}); }}\n", n, at);
        } else {
          out += fmt::format("  std::span<const uint8_t> {0}() const {{ return bytes({1}); }}\n", n, at);
          out += fmt::format("  void set_{0}(std::span<const uint8_t> v) {{ set_bytes({1}, v.data(), v.size()); }}\n", n, at);
        }
        out += fmt::format("  void set_{0}(std::string_view v) {{ set_bytes({1}, v.data(), v.size()); }}\n", n, at);
        out += fmt::format("  // Room for n bytes in the send heap, to fill in place (no copy).\n");
        out += fmt::format("  std::span<uint8_t> mutable_{0}(uint64_t n) {{ return mutable_bytes({1}, n); }}\n", n, at);
        break;
      case SlotKind::kMessage: {
        const std::string t = qualified(f->message_type());
        out += fmt::format("  bool has_{0}() const {{ return ref({1}).length != 0; }}\n", n, at);
        out += fmt::format("  {0} {1}() const;\n  {0} mutable_{1}();\n", t, n);
        after += fmt::format(
            "inline {0} {2}::{1}() const {{\n"
            "  const Ref r = ref({3});\n"
            "  if (r.length == 0) return ::fixnet::rpc::stub::absent<{0}>();\n"
            "  if (r.length != {0}::kLayoutBytes) throw ::fixnet::InputError(\"field {1} has a wrong length\");\n"
            "  return {0}(heap_, heap_size_, r.offset, arena_);\n}}\n",
            t, n, name, at);
        after += fmt::format(
            "inline {0} {2}::mutable_{1}() {{\n"
            "  if (has_{1}()) return {1}();\n"
            "  return {0}(heap_, heap_size_, allocate_elements({3}, 1, {0}::kLayoutBytes, true), arena_);\n}}\n",
            t, n, name, at);
        break;
      }
      case SlotKind::kRepeated:
        if (is_scalar(f)) {
          const std::string t = f->cpp_type() == pb::FieldDescriptor::CPPTYPE_ENUM ? "int32_t" : scalar_type(f);
          out += fmt::format("  std::span<const {0}> {1}() const {{ return array<{0}>({2}); }}\n", t, n, at);
          out += fmt::format(
              "  void set_{1}(std::span<const {0}> v) {{\n"
              "    const uint64_t to = allocate_elements({2}, v.size(), sizeof({0}));\n"
              "    if (!v.empty()) std::memcpy(heap_ + to, v.data(), v.size_bytes());\n  }}\n",
              t, n, at);
        } else if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING) {
          out += fmt::format("  uint64_t {0}_size() const {{ return ref({1}).length; }}\n", n, at);
          if (is_string)
            out += fmt::format(
                "  std::string_view {0}(uint64_t i) const {{\n"
                "    auto b = bytes_at(element({1}, i, 16));\n"
                "    return {{reinterpret_cast<const char*>(b.data()), b.size()}};\n  }}\n",
                n, at);
          else
            out += fmt::format("  std::span<const uint8_t> {0}(uint64_t i) const {{ return bytes_at(element({1}, i, 16)); }}\n",
                               n, at);
          out += fmt::format("  // n empty elements; then set_{0}(i, …) each.\n", n);
          out += fmt::format("  void resize_{0}(uint64_t n) {{ allocate_elements({1}, n, 16); }}\n", n, at);
          out += fmt::format(
              "  void set_{0}(uint64_t i, std::string_view v) {{ set_bytes_at(element({1}, i, 16), v.data(), v.size()); }}\n",
              n, at);
          if (!is_string)
            out += fmt::format(
                "  void set_{0}(uint64_t i, std::span<const uint8_t> v) {{ set_bytes_at(element({1}, i, 16), v.data(), "
                "v.size()); }}\n",
                n, at);
        } else {
          const std::string t = qualified(f->message_type());
          out += fmt::format("  uint64_t {0}_size() const {{ return ref({1}).length; }}\n", n, at);
          out += fmt::format("  {0} {1}(uint64_t i) const;\n", t, n);
          out += fmt::format("  // n empty elements; then fill {0}(i) each.\n", n);
          out += fmt::format("  void resize_{0}(uint64_t n);\n", n);
          after += fmt::format(
              "inline {0} {2}::{1}(uint64_t i) const {{\n"
              "  return {0}(heap_, heap_size_, element({3}, i, {0}::kLayoutBytes), arena_);\n}}\n",
              t, n, name, at);
          after += fmt::format(
              "inline void {2}::resize_{1}(uint64_t n) {{ allocate_elements({3}, n, {0}::kLayoutBytes); }}\n", t, n,
              name, at);
        }
        break;
    }
  }
  out += "};\n\n";
}

void service_classes(std::string& out, const Schema& schema, const pb::ServiceDescriptor* s) {
  // The binding names the service, so the local service routes the client's calls and hands the
  // skeleton the peers that call this service (docs/rpc.md, "Routing by service").
  const std::string binding = schema_namespace(schema.file()) + "::binding(\"" + s->full_name() + "\")";
  std::vector<const SchemaMethod*> methods;
  for (const auto& m : schema.methods())
    if (m.method->service() == s) methods.push_back(&m);

  out += fmt::format("// The client stub of {}: calls through the local fixnet RPC service.\n", s->full_name());
  out += fmt::format("class {}Client {{\n public:\n", s->name());
  for (const auto* m : methods) out += fmt::format("  static constexpr uint32_t k{} = {};\n", m->method->name(), m->id);
  out += fmt::format(
      "\n  static {0}Client connect(const std::filesystem::path& socket, ::fixnet::rpc::ClientOptions options = {{}}) {{\n"
      "    return {0}Client(::fixnet::rpc::Client::connect(socket, {1}, options));\n  }}\n"
      "  explicit {0}Client(std::unique_ptr<::fixnet::rpc::Client> client) : client_(std::move(client)) {{}}\n"
      "  ::fixnet::rpc::Client& connection() {{ return *client_; }}\n"
      "  // A new message in the send heap, to fill and pass to a call.\n"
      "  template <class T>\n"
      "  ::fixnet::rpc::stub::Message<T> make() {{ return ::fixnet::rpc::stub::Message<T>(*client_); }}\n\n",
      s->name(), binding);
  for (const auto* m : methods) {
    const std::string in = qualified(m->method->input_type()), reply = qualified(m->method->output_type());
    out += fmt::format(
        "  ::fixnet::rpc::stub::Result<{2}> {0}(::fixnet::rpc::stub::Message<{1}>&& request) {{\n"
        "    return {0}Async(std::move(request)).get();\n  }}\n"
        "  ::fixnet::rpc::stub::Pending<{2}> {0}Async(::fixnet::rpc::stub::Message<{1}>&& request) {{\n"
        "    return {{*client_, request.send(k{0})}};\n  }}\n",
        m->method->name(), in, reply);
  }
  out += "\n private:\n  std::unique_ptr<::fixnet::rpc::Client> client_;\n};\n\n";

  out += fmt::format(
      "// The server skeleton of {0}: implement the methods, bind, serve.\n"
      "class {1}Service {{\n public:\n  virtual ~{1}Service() = default;\n",
      s->full_name(), s->name());
  for (const auto* m : methods)
    out += fmt::format("  // Fill `reply`, or throw ::fixnet::rpc::stub::StatusError to fail the call.\n"
                       "  virtual void {}(const {}& request, {}& reply) = 0;\n", m->method->name(),
                       qualified(m->method->input_type()), qualified(m->method->output_type()));
  out += fmt::format(
      "\n  static std::unique_ptr<::fixnet::rpc::Server> bind(const std::filesystem::path& socket,\n"
      "                                                   ::fixnet::rpc::ClientOptions options = {{}}) {{\n"
      "    return ::fixnet::rpc::Server::bind(socket, {}, options);\n  }}\n"
      "  // Answers requests until the service goes away.\n"
      "  void serve(::fixnet::rpc::Server& server) {{\n"
      "    try {{\n      while (serve_one(server)) {{\n      }}\n"
      "    }} catch (const ::fixnet::EnvironmentError&) {{\n    }}\n  }}\n"
      "  // Answers one request; false when none came within `timeout`.\n"
      "  bool serve_one(::fixnet::rpc::Server& server, std::chrono::milliseconds timeout = std::chrono::milliseconds(-1)) {{\n"
      "    auto request = server.next_request(timeout);\n"
      "    if (!request) return false;\n"
      "    switch (request->method()) {{\n",
      binding);
  for (const auto* m : methods) {
    const std::string in = qualified(m->method->input_type()), reply = qualified(m->method->output_type());
    out += fmt::format(
        "      case {0}:\n"
        "        ::fixnet::rpc::stub::answer<{1}, {2}>(server, std::move(*request),\n"
        "            [this](const {1}& in, {2}& out) {{ {3}(in, out); }});\n"
        "        return true;\n",
        m->id, in, reply, m->method->name());
  }
  out +=
      "      default:  // another service's method: an empty answer (the service refuses it as malformed)\n"
      "        server.reply(request->call_id(), std::span<const uint8_t>());\n"
      "        return true;\n    }\n  }\n};\n\n";
}

}  // namespace

std::string stub_header_name(const std::string& proto_name) {
  std::string stem = proto_name;
  if (stem.size() > 6 && stem.ends_with(".proto")) stem.resize(stem.size() - 6);
  return stem + ".fixnet.h";
}

std::string generate_stubs(const Schema& schema) {
  const pb::FileDescriptor* file = schema.file();
  std::string out;
  out += fmt::format("// Generated by protoc-gen-fixnet from {}. Do not edit.\n", file->name());
  out += fmt::format("// Schema hash {} (layout version {}).\n#pragma once\n\n", schema.hash_hex(), kLayoutVersion);
  out += "#include <chrono>\n#include <cstdint>\n#include <cstring>\n#include <filesystem>\n#include <memory>\n"
         "#include <span>\n#include <string_view>\n\n#include \"rpc/stub_support.h\"\n";
  for (int i = 0; i < file->dependency_count(); ++i)
    out += fmt::format("#include \"{}\"\n", stub_header_name(file->dependency(i)->name()));
  out += "\n";
  const std::string ns = namespace_name(file);
  if (!ns.empty()) out += "namespace " + ns + " {\n\n";

  // The schema: its hash and canonical bytes, sent in the Hello.
  out += fmt::format("namespace {} {{\ninline constexpr ::fixnet::rpc::SchemaHash kHash = {{", schema_namespace(file));
  for (size_t i = 0; i < schema.hash().size(); ++i) out += fmt::format("{}{}", i ? "," : "", schema.hash()[i]);
  out += "};\ninline constexpr unsigned char kCanonical[] = {";
  for (size_t i = 0; i < schema.canonical().size(); ++i) {
    if (i % 24 == 0) out += "\n    ";
    out += fmt::format("{},", static_cast<uint8_t>(schema.canonical()[i]));
  }
  out += "\n};\ninline ::fixnet::rpc::SchemaBinding binding(std::string_view service = {}) {\n"
         "  return {kHash, std::string_view(reinterpret_cast<const char*>(kCanonical), sizeof kCanonical), service};\n}\n"
         "}  // namespace " +
         schema_namespace(file) + "\n\n";

  for (int i = 0; i < file->enum_type_count(); ++i) enums(out, file->enum_type(i), false);
  std::vector<const pb::Descriptor*> messages;
  for (int i = 0; i < file->message_type_count(); ++i) {
    all_enums(out, file->message_type(i));
    all_messages(file->message_type(i), messages);
  }
  for (const auto* m : messages) out += fmt::format("class {};\n", cpp_name(m));
  out += "\n";
  std::string after;
  for (const auto* m : messages) message_class(out, after, m);
  out += after + "\n";
  for (int i = 0; i < file->service_count(); ++i) service_classes(out, schema, file->service(i));
  if (!ns.empty()) out += "}  // namespace " + ns + "\n";
  return out;
}

}  // namespace fixnet::rpc
