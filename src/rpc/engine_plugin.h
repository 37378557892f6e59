// EnginePlugin: an engine type the service can instantiate — built in ("echo") or loaded from a
// shared object that exports the plugin entry point (engine.h). A loaded object stays loaded while
// any EnginePlugin handle (and so any engine it created, which holds one) exists.
// Thread-safe after construction.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "rpc/engine.h"

namespace fixnet::rpc {

class EnginePlugin {
 public:
  // A built-in name (echo, tcp-client, tcp-server, marshal, grpc-client, grpc-server; the policies
  // null, ratelimit, acl, qos, metrics), or a path to a shared object (anything containing '/'). Throws InputError saying what
  // is wrong: an unknown name, a file that does not load, a missing entry point, a wrong ABI version.
  static std::shared_ptr<const EnginePlugin> resolve(std::string_view spec);
  static std::shared_ptr<const EnginePlugin> load(const std::filesystem::path& shared_object);

  ~EnginePlugin();
  EnginePlugin(const EnginePlugin&) = delete;
  EnginePlugin& operator=(const EnginePlugin&) = delete;

  const std::string& name() const { return name_; }
  // "built in", or the shared object's path.
  const std::string& origin() const { return origin_; }
  uint32_t placement() const { return descriptor_->placement; }
  // Throws EnvironmentError when the plugin's create() refuses.
  std::unique_ptr<Engine> create(DatapathContext& context, std::string_view config = "") const;

 private:
  EnginePlugin(void* handle, const fixnet_rpc_engine_plugin* descriptor, std::string origin);
  static std::shared_ptr<const EnginePlugin> adopt(void* handle, const fixnet_rpc_engine_plugin* descriptor,
                                                   std::string origin);

  void* handle_;  // dlopen handle; null for a built-in
  const fixnet_rpc_engine_plugin* descriptor_;
  std::string name_;
  std::string origin_;
};

// The built-in engines' descriptors (defined beside each engine).
const fixnet_rpc_engine_plugin* builtin_echo_engine();
const fixnet_rpc_engine_plugin* builtin_marshal_engine();  // config: a compiled marshaller (marshaller.h)
// Policies (docs/rpc.md, "Policies").
const fixnet_rpc_engine_plugin* builtin_null_engine();
const fixnet_rpc_engine_plugin* builtin_ratelimit_engine();
const fixnet_rpc_engine_plugin* builtin_acl_engine();
const fixnet_rpc_engine_plugin* builtin_qos_engine();
const fixnet_rpc_engine_plugin* builtin_metrics_engine();

}  // namespace fixnet::rpc
