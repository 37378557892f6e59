#include "rpc/engine_plugin.h"

#include <dlfcn.h>

#include "core/error.h"
#include "rpc/grpc_transport.h"
#include "rpc/tcp_transport.h"

namespace fixnet::rpc {

EnginePlugin::EnginePlugin(void* handle, const fixnet_rpc_engine_plugin* descriptor, std::string origin)
    : handle_(handle), descriptor_(descriptor), name_(descriptor->name ? descriptor->name : origin) {}

EnginePlugin::~EnginePlugin() {
  if (handle_ != nullptr) ::dlclose(handle_);
}

std::shared_ptr<const EnginePlugin> EnginePlugin::adopt(void* handle, const fixnet_rpc_engine_plugin* d,
                                                        std::string origin) {
  auto refuse = [&](const std::string& why) -> std::shared_ptr<const EnginePlugin> {
    if (handle != nullptr) ::dlclose(handle);
    throw InputError("engine plugin " + origin + ": " + why);
  };
  if (d == nullptr) return refuse("its entry point returned no descriptor");
  if (d->abi_version != FIXNET_RPC_ENGINE_ABI_VERSION)
    return refuse("built for engine ABI version " + std::to_string(d->abi_version) + ", this service speaks " +
                  std::to_string(FIXNET_RPC_ENGINE_ABI_VERSION) + "; rebuild the plugin with this fixnet");
  if (d->create == nullptr) return refuse("its descriptor has no create function");
  return std::shared_ptr<const EnginePlugin>(new EnginePlugin(handle, d, std::move(origin)));
}

std::shared_ptr<const EnginePlugin> EnginePlugin::load(const std::filesystem::path& shared_object) {
  const std::string origin = "'" + one_line(shared_object.string()) + "'";
  void* handle = ::dlopen(shared_object.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) throw InputError("engine plugin " + origin + " does not load: " + one_line(::dlerror(), 300));
  using Entry = const fixnet_rpc_engine_plugin* (*)();
  auto entry = reinterpret_cast<Entry>(::dlsym(handle, FIXNET_RPC_ENGINE_ENTRY));
  if (entry == nullptr) {
    ::dlclose(handle);
    throw InputError("engine plugin " + origin + " has no entry point " FIXNET_RPC_ENGINE_ENTRY
                     "(); is it a fixnet RPC engine?");
  }
  return adopt(handle, entry(), origin);
}

std::shared_ptr<const EnginePlugin> EnginePlugin::resolve(std::string_view spec) {
  if (spec.find('/') != std::string_view::npos) return load(std::filesystem::path(spec));
  if (spec == "echo") return adopt(nullptr, builtin_echo_engine(), "echo");
  if (spec == "tcp-client") return adopt(nullptr, builtin_tcp_client_engine(), "tcp-client");
  if (spec == "tcp-server") return adopt(nullptr, builtin_tcp_server_engine(), "tcp-server");
  if (spec == "marshal") return adopt(nullptr, builtin_marshal_engine(), "marshal");
  if (spec == "grpc-client") return adopt(nullptr, builtin_grpc_client_engine(), "grpc-client");
  if (spec == "grpc-server") return adopt(nullptr, builtin_grpc_server_engine(), "grpc-server");
  throw InputError("no built-in engine named '" + one_line(spec) +
                   "' (built in: echo, tcp-client, tcp-server, marshal, grpc-client, grpc-server; or give a path to a .so)");
}

std::unique_ptr<Engine> EnginePlugin::create(DatapathContext& context, std::string_view config) const {
  const std::string text(config);
  Engine* engine = descriptor_->create(&context, text.c_str());
  if (engine == nullptr) throw EnvironmentError("engine plugin " + name_ + " refused to create an engine");
  return std::unique_ptr<Engine>(engine);
}

}  // namespace fixnet::rpc
