#include "rpc/schema.h"

#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>

#include <cstring>
#include <functional>
#include <set>

#include "core/error.h"
#include "core/name.h"

namespace fixnet::rpc {

namespace pb = google::protobuf;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kHashDomain = "fixnet-rpc-schema-v1\n";

// The first problem libprotoc reports, as "FILE:LINE:COLUMN: message" (1-based, as editors count).
class FirstError : public pb::compiler::MultiFileErrorCollector, public pb::DescriptorPool::ErrorCollector {
 public:
  explicit FirstError(std::function<std::string(const std::string&)> disk_name = nullptr)
      : disk_name_(std::move(disk_name)) {}
  void AddError(const std::string& file, int line, int column, const std::string& message) override {
    if (!first_.empty()) return;
    const std::string name = disk_name_ ? disk_name_(file) : file;
    first_ = line >= 0 ? name + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message
                       : name + ": " + message;
  }
  void AddError(const std::string& file, const std::string& element, const pb::Message*, ErrorLocation,
                const std::string& message) override {
    if (first_.empty()) first_ = file + ": " + (element.empty() ? "" : element + ": ") + message;
  }
  const std::string& text() const { return first_; }

 private:
  std::function<std::string(const std::string&)> disk_name_;
  std::string first_;
};

// json_name is filled in by protoc for its plugins but not by a plain parse: it is derived data,
// so the canonical form leaves it out everywhere.
void strip_json_names(pb::DescriptorProto& message) {
  for (auto& field : *message.mutable_field()) field.clear_json_name();
  for (auto& nested : *message.mutable_nested_type()) strip_json_names(nested);
}

void collect(const pb::FileDescriptor* file, std::set<std::string>& seen, pb::FileDescriptorSet& set) {
  if (!seen.insert(file->name()).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) collect(file->dependency(i), seen, set);
  pb::FileDescriptorProto* proto = set.add_file();
  file->CopyTo(proto);
  proto->clear_source_code_info();
  for (auto& message : *proto->mutable_message_type()) strip_json_names(message);
}

std::string canonical_bytes(const pb::FileDescriptor* file) {
  pb::FileDescriptorSet set;
  std::set<std::string> seen;
  collect(file, seen, set);
  std::string out;
  {
    pb::io::StringOutputStream stream(&out);
    pb::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    set.SerializeToCodedStream(&coded);
  }
  return out;
}

// "FILE:LINE: " for a descriptor parsed from text, "FILE: " otherwise.
template <class D>
std::string where(const D* d, const std::string& file_name) {
  pb::SourceLocation location;
  if (d->GetSourceLocation(&location))
    return file_name + ":" + std::to_string(location.start_line + 1) + ":" + std::to_string(location.start_column + 1) +
           ": ";
  return file_name + ": ";
}

void check_message(const pb::Descriptor* m, const std::string& file_name) {
  if (m->oneof_decl_count() > 0)
    throw InputError(where(m->oneof_decl(0), file_name) + "message " + m->full_name() + " has oneof or optional field '" +
                     m->oneof_decl(0)->field(0)->name() +
                     "': fixnet schemas do not support oneof/optional yet; use a plain field");
  if (m->extension_range_count() > 0 || m->extension_count() > 0)
    throw InputError(where(m, file_name) + "message " + m->full_name() + ": extensions are not supported");
  for (int i = 0; i < m->field_count(); ++i)
    if (m->field(i)->type() == pb::FieldDescriptor::TYPE_GROUP)
      throw InputError(where(m->field(i), file_name) + "field " + m->field(i)->full_name() + ": groups are not supported");
  for (int i = 0; i < m->nested_type_count(); ++i) check_message(m->nested_type(i), file_name);
}

// What fixnet's layouts and marshallers handle: proto3, unary methods, plain fields.
void check_supported(const pb::FileDescriptor* file, const std::function<std::string(const std::string&)>& disk_name,
                     std::set<std::string>& seen) {
  if (!seen.insert(file->name()).second) return;
  const std::string name = disk_name ? disk_name(file->name()) : file->name();
  if (file->syntax() != pb::FileDescriptor::SYNTAX_PROTO3)
    throw InputError(name + ": fixnet schemas are proto3; start the file with syntax = \"proto3\";");
  if (file->extension_count() > 0) throw InputError(where(file->extension(0), name) + "extensions are not supported");
  for (int i = 0; i < file->message_type_count(); ++i) check_message(file->message_type(i), name);
  for (int s = 0; s < file->service_count(); ++s)
    for (int i = 0; i < file->service(s)->method_count(); ++i) {
      const pb::MethodDescriptor* method = file->service(s)->method(i);
      if (method->client_streaming() || method->server_streaming())
        throw InputError(where(method, name) + "method " + method->full_name() +
                         " streams: fixnet RPCs are unary (one request, one reply)");
    }
  for (int i = 0; i < file->dependency_count(); ++i) check_supported(file->dependency(i), disk_name, seen);
}

}  // namespace

struct Schema::Pool {
  std::unique_ptr<pb::compiler::DiskSourceTree> tree;
  std::unique_ptr<FirstError> errors;
  std::unique_ptr<pb::compiler::Importer> importer;
  std::unique_ptr<pb::DescriptorPool> pool;
};

Schema::Schema(std::shared_ptr<Pool> pool, const pb::FileDescriptor* file)
    : pool_(std::move(pool)), file_(file), canonical_(canonical_bytes(file)), hash_(schema_hash(canonical_)) {
  uint32_t id = 1;
  for (int s = 0; s < file->service_count(); ++s)
    for (int i = 0; i < file->service(s)->method_count(); ++i) methods_.push_back({id++, file->service(s)->method(i)});
}

Schema::~Schema() = default;

std::unique_ptr<Schema> Schema::parse(const fs::path& proto, const std::vector<fs::path>& import_dirs) {
  std::error_code ec;
  if (!fs::is_regular_file(proto, ec))
    throw InputError("schema " + one_line(proto.string()) + ": no such file (give the path of a .proto file)");
  auto pool = std::make_shared<Pool>();
  pool->tree = std::make_unique<pb::compiler::DiskSourceTree>();
  const fs::path dir = proto.has_parent_path() ? proto.parent_path() : fs::path(".");
  pool->tree->MapPath("", dir.string());
  for (const auto& d : import_dirs) pool->tree->MapPath("", d.string());
  pb::compiler::DiskSourceTree* tree = pool->tree.get();
  auto disk_name = [tree](const std::string& virtual_name) {
    std::string disk;
    return tree->VirtualFileToDiskFile(virtual_name, &disk) ? disk : virtual_name;
  };
  pool->errors = std::make_unique<FirstError>(disk_name);
  pool->importer = std::make_unique<pb::compiler::Importer>(pool->tree.get(), pool->errors.get());
  const pb::FileDescriptor* file = pool->importer->Import(proto.filename().string());
  if (file == nullptr) {
    const std::string& why = pool->errors->text();
    throw InputError(why.empty() ? "schema " + one_line(proto.string()) + " does not parse" : one_line(why, 400));
  }
  std::set<std::string> seen;
  check_supported(file, disk_name, seen);
  return std::unique_ptr<Schema>(new Schema(std::move(pool), file));
}

std::unique_ptr<Schema> Schema::from_canonical(std::span<const uint8_t> bytes) {
  // libprotobuf logs what it finds wrong with hostile bytes to stderr; our InputError says it once,
  // so an application cannot flood the service's log. (Process-wide: fixnet logs through its own.)
  static const bool quiet = [] {
    pb::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  if (bytes.size() > kMaxSchemaBytes)
    throw InputError("schema of " + std::to_string(bytes.size()) + " bytes is over the limit of " +
                     std::to_string(kMaxSchemaBytes));
  pb::FileDescriptorSet set;
  if (!set.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || set.file_size() == 0)
    throw InputError("schema bytes are not a descriptor set");
  auto pool = std::make_shared<Pool>();
  pool->pool = std::make_unique<pb::DescriptorPool>();
  FirstError errors;
  const pb::FileDescriptor* file = nullptr;
  for (const auto& proto : set.file()) {
    file = pool->pool->BuildFileCollectingErrors(proto, &errors);
    if (file == nullptr) throw InputError("schema does not build: " + one_line(errors.text(), 300));
  }
  std::set<std::string> seen;
  check_supported(file, nullptr, seen);
  auto schema = std::unique_ptr<Schema>(new Schema(std::move(pool), file));
  if (schema->canonical().size() != bytes.size() ||
      std::memcmp(bytes.data(), schema->canonical().data(), bytes.size()) != 0)
    throw InputError("schema bytes are not in canonical form (send Schema::canonical() of the file)");
  return schema;
}

std::unique_ptr<Schema> Schema::from_file(const pb::FileDescriptor* file) {
  std::set<std::string> seen;
  check_supported(file, nullptr, seen);
  return std::unique_ptr<Schema>(new Schema(nullptr, file));
}

std::string Schema::hash_hex() const { return hex(hash_); }

SchemaHash schema_hash(std::string_view canonical) {
  std::string input(kHashDomain);
  input.append(canonical);
  return sha256(input);
}

}  // namespace fixnet::rpc
