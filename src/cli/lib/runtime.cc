#include "cli/lib/runtime.h"

#include <fmt/format.h>

#include <cstdlib>

#include "cli/lib/progress.h"
#include "wasm/toolchain.h"

namespace fixnet::cli {

namespace {

std::filesystem::path chosen_cache(const std::filesystem::path& repository_cache) {
  const char* shared = std::getenv("FIXNET_CACHE_DIR");
  return shared && *shared ? std::filesystem::path(shared) : repository_cache;
}

}  // namespace

Runtime::Runtime(const std::filesystem::path& cache_dir, wasm::WasmRunnerOptions wasm)
    : wasm_(chosen_cache(cache_dir), wasm), flatware_(wasm_) {
  NativeProcedures::add_builtins(natives_);
  // Natives first: their Blobs ("fixnet-native:…") are cheap to recognize. Flatware before Wasm: it
  // claims only the modules that are programs.
  dispatcher_.add(&natives_);
  dispatcher_.add(&flatware_);
  dispatcher_.add(&wasm_);
  wasm_.toolchain().set_progress([this](Name module, uint64_t done, uint64_t total) {
    std::lock_guard lock(compile_progress_mutex_);
    if (!compile_progress_)
      compile_progress_ = std::make_unique<Progress>(fmt::format("compiling Wasm module {}", module.short_hex(12)));
    compile_progress_->update(done, total);
    if (done == total) compile_progress_.reset();
  });
}

Runtime::~Runtime() = default;

}  // namespace fixnet::cli
