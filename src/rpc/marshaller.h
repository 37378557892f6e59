// Compiled marshallers (docs/rpc.md, "Marshalling"): the code marshaller_generator.h writes for a
// schema, compiled by the system C++ compiler into a shared object and cached by schema hash, so a
// schema is compiled once per machine (`fixnet rpc register` does it ahead of time).
//
// The cache directory holds <hash>-g<generator version>.so and the .cc it was built from. The service
// loads code from it, so it must be trusted: the directory and each object must belong to the
// service's user (or root) and be writable by nobody else; load() refuses anything else.
// MarshallerCache is safe for concurrent use by several processes (atomic renames).
#pragma once

#include <filesystem>
#include <memory>

#include "rpc/marshaller_abi.h"
#include "rpc/schema.h"

namespace fixnet::rpc {

class Marshaller {
 public:
  // Loads a compiled marshaller and checks its ABI, layout version and schema hash. Throws InputError
  // naming the file and what is wrong.
  static std::shared_ptr<const Marshaller> load(const std::filesystem::path& shared_object, const SchemaHash& expected);
  ~Marshaller();
  Marshaller(const Marshaller&) = delete;
  Marshaller& operator=(const Marshaller&) = delete;

  const fixnet_rpc_marshaller& code() const { return *code_; }

 private:
  Marshaller(void* handle, const fixnet_rpc_marshaller* code) : handle_(handle), code_(code) {}
  void* handle_;
  const fixnet_rpc_marshaller* code_;
};

// $FIXNET_SCHEMA_CACHE, else $XDG_CACHE_HOME/fixnet/rpc-schemas, else $HOME/.cache/fixnet/rpc-schemas.
std::filesystem::path default_schema_cache();

class MarshallerCache {
 public:
  explicit MarshallerCache(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // The compiled marshaller of `schema`: found in the cache, or generated, compiled (the compiler is
  // $CXX, else c++) and stored now. `compiled` says which. Throws EnvironmentError when the
  // directory cannot be made or the compiler fails (with its first error line).
  std::filesystem::path ensure(const Schema& schema, bool* compiled = nullptr) const;
  std::filesystem::path path_of(const SchemaHash& hash) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace fixnet::rpc
