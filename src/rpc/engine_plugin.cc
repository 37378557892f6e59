#include "rpc/engine_plugin.h"

#include <dlfcn.h>

#include "core/error.h"
#include "net/log.h"
#include "rpc/grpc_transport.h"
#include "rpc/tcp_transport.h"

namespace fixnet::rpc {

namespace {

// What a plugin's log lines come through (FIXNET_RPC_PLUGIN_LOG_ENTRY).
void host_log_line(int level, const char* component, size_t component_bytes, const char* message, size_t message_bytes) {
  if (level < 0 || level > static_cast<int>(net::LogLevel::kDebug)) level = static_cast<int>(net::LogLevel::kError);
  net::log_line(static_cast<net::LogLevel>(level), {component, component_bytes}, {message, message_bytes});
}

}  // namespace

EnginePlugin::EnginePlugin(void* handle, const fixnet_rpc_engine_plugin* descriptor, std::string origin)
    : handle_(handle),
      descriptor_(descriptor),
      name_(descriptor->name ? descriptor->name : origin),
      origin_(handle ? origin.substr(1, origin.size() - 2) : "built in") {}

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
  if (d->placement != FIXNET_RPC_BEFORE_MARSHAL && d->placement != FIXNET_RPC_AFTER_MARSHAL)
    return refuse("its descriptor has an unknown placement " + std::to_string(d->placement));
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
  auto plugin = adopt(handle, entry(), origin);
  using UseHostLog = void (*)(int, void (*)(int, const char*, size_t, const char*, size_t));
  if (auto use_host_log = reinterpret_cast<UseHostLog>(::dlsym(handle, FIXNET_RPC_PLUGIN_LOG_ENTRY)))
    use_host_log(static_cast<int>(net::log_level()), &host_log_line);
  return plugin;
}

std::shared_ptr<const EnginePlugin> EnginePlugin::resolve(std::string_view spec) {
  if (spec.find('/') != std::string_view::npos) return load(std::filesystem::path(spec));
  using Builtin = const fixnet_rpc_engine_plugin* (*)();
  static const std::pair<std::string_view, Builtin> builtins[] = {
      {"echo", builtin_echo_engine},       {"tcp-client", builtin_tcp_client_engine},
      {"tcp-server", builtin_tcp_server_engine}, {"marshal", builtin_marshal_engine},
      {"grpc-client", builtin_grpc_client_engine}, {"grpc-server", builtin_grpc_server_engine},
      {"null", builtin_null_engine},       {"ratelimit", builtin_ratelimit_engine},
      {"acl", builtin_acl_engine},         {"qos", builtin_qos_engine},
      {"metrics", builtin_metrics_engine}};
  std::string names;
  for (const auto& [name, descriptor] : builtins) {
    if (spec == name) return adopt(nullptr, descriptor(), std::string(name));
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  throw InputError("no built-in engine named '" + one_line(spec) + "' (built in: " + names +
                   "; or give a path to a .so)");
}

std::unique_ptr<Engine> EnginePlugin::create(DatapathContext& context, std::string_view config) const {
  const std::string text(config);
  Engine* engine = descriptor_->create(&context, text.c_str());  // a plugin may also throw InputError
  if (engine == nullptr) throw EnvironmentError("engine plugin " + name_ + " refused to create an engine");
  return std::unique_ptr<Engine>(engine);
}

}  // namespace fixnet::rpc
