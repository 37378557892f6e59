#include "cli/lib/runtime.h"

#include <cstdlib>


namespace fixnet::cli {

namespace {

std::filesystem::path chosen_cache(const std::filesystem::path& repository_cache) {
  const char* shared = std::getenv("FIXNET_CACHE_DIR");
  return shared && *shared ? std::filesystem::path(shared) : repository_cache;
}

}  // namespace

Runtime::Runtime(const std::filesystem::path& cache_dir) : wasm_(chosen_cache(cache_dir)), flatware_(wasm_) {
  NativeProcedures::add_builtins(natives_);
  // Natives first: their Blobs ("fixnet-native:…") are cheap to recognize. Flatware before Wasm: it
  // claims only the modules that are programs.
  dispatcher_.add(&natives_);
  dispatcher_.add(&flatware_);
  dispatcher_.add(&wasm_);
}

Runtime::~Runtime() = default;

}  // namespace fixnet::cli
