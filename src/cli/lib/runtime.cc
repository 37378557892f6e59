#include "cli/lib/runtime.h"


namespace fixnet::cli {

Runtime::Runtime(const std::filesystem::path& cache_dir) : wasm_(cache_dir), flatware_(wasm_) {
  NativeProcedures::add_builtins(natives_);
  // Natives first: their Blobs ("fixnet-native:…") are cheap to recognize. Flatware before Wasm: it
  // claims only the modules that are programs.
  dispatcher_.add(&natives_);
  dispatcher_.add(&flatware_);
  dispatcher_.add(&wasm_);
}

Runtime::~Runtime() = default;

}  // namespace fixnet::cli
