#include "cli/lib/runtime.h"

#include "wasm/wasm_runner.h"

namespace fixnet::cli {

Runtime::Runtime(const std::filesystem::path& cache_dir)
    : wasm_(wasm::make_wasm_runner(cache_dir)) {
  NativeProcedures::add_builtins(natives_);
  // Natives first: their Blobs ("fixnet-native:…") are cheap to recognize.
  dispatcher_.add(&natives_);
  dispatcher_.add(wasm_.get());
}

Runtime::~Runtime() = default;

}  // namespace fixnet::cli
