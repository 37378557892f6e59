// A plugin built for another engine ABI version: the loader must refuse it.
#include "rpc/engine.h"

extern "C" __attribute__((visibility("default"))) const fixnet_rpc_engine_plugin* fixnet_rpc_engine_plugin_entry() {
  static const fixnet_rpc_engine_plugin descriptor = {FIXNET_RPC_ENGINE_ABI_VERSION + 1, "future", nullptr, 0};
  return &descriptor;
}
