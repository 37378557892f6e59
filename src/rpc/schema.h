// Schema: an RPC schema — a proto3 `.proto` file with its imports — parsed with Debian's libprotoc
// (docs/rpc.md, "Schemas"). It gives
//  - the canonical bytes: a FileDescriptorSet of the file and everything it imports (dependencies
//    first), without source locations or json names, serialized deterministically. Comments,
//    whitespace and the order of declarations in the text do not reach these bytes… except where
//    the order is meaning (fields, methods);
//  - the schema hash: SHA-256 of "fixnet-rpc-schema-v1\n" followed by the canonical bytes;
//  - the methods, numbered 1, 2, … over the file's services in declaration order, then each
//    service's methods in declaration order (the descriptor's `method` field).
//
// Outside input: parse() reports a bad .proto as InputError "FILE:LINE:COLUMN: problem";
// from_canonical() takes bytes from an application, refuses anything that is not exactly a canonical
// descriptor set, and is fuzzed. A Schema owns its descriptor pool; it is immutable after creation.
#pragma once

#include <google/protobuf/descriptor.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rpc/descriptor.h"

namespace fixnet::rpc {

// The longest canonical descriptor set an application may send in its Hello.
inline constexpr size_t kMaxSchemaBytes = 64 * 1024;

struct SchemaMethod {
  uint32_t id;                                      // 1, 2, … (see above)
  const google::protobuf::MethodDescriptor* method;
};

class Schema {
 public:
  // Parses `proto` (imports are looked up beside it and in `import_dirs`). Throws InputError
  // "FILE:LINE:COLUMN: problem" for a syntax error, an unknown import or type, or a construct fixnet
  // schemas do not support (not proto3, streaming, oneof/optional, groups, extensions).
  static std::unique_ptr<Schema> parse(const std::filesystem::path& proto,
                                       const std::vector<std::filesystem::path>& import_dirs = {});
  // A schema an application sent: the canonical bytes of a descriptor set. Throws InputError when
  // they do not parse, do not build, are not canonical, or use an unsupported construct.
  static std::unique_ptr<Schema> from_canonical(std::span<const uint8_t> bytes);
  // From a file protoc already parsed (the protoc plugin). Throws InputError like parse().
  static std::unique_ptr<Schema> from_file(const google::protobuf::FileDescriptor* file);

  ~Schema();
  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;

  const google::protobuf::FileDescriptor* file() const { return file_; }
  const std::string& canonical() const { return canonical_; }
  const SchemaHash& hash() const { return hash_; }
  std::string hash_hex() const;
  const std::vector<SchemaMethod>& methods() const { return methods_; }
  // Inline: the policy plugins (acl) use it without the rest of the schema code.
  const SchemaMethod* method(uint32_t id) const {
    return id >= 1 && id <= methods_.size() ? &methods_[id - 1] : nullptr;
  }

 private:
  struct Pool;
  Schema(std::shared_ptr<Pool> pool, const google::protobuf::FileDescriptor* file);

  std::shared_ptr<Pool> pool_;  // keeps the descriptors alive
  const google::protobuf::FileDescriptor* file_;
  std::string canonical_;
  SchemaHash hash_{};
  std::vector<SchemaMethod> methods_;
};

// SHA-256 of the domain prefix and `canonical` (the schema hash of those bytes).
SchemaHash schema_hash(std::string_view canonical);

}  // namespace fixnet::rpc
