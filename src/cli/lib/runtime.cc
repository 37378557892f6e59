#include "cli/lib/runtime.h"

#include <fmt/format.h>

#include <cstdlib>

#include "cli/lib/progress.h"
#include "core/error.h"
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
  // Under `auto`, a module whose background compile failed goes on in the interpreter, slower than it
  // would run compiled: the user is told why, on one line (a compiler's own output can span many),
  // written with one call so it stays one line among others. It touches nothing of this Runtime.
  wasm_.set_compile_failure_observer([](Name module, const std::string& reason) {
    fmt::print(stderr, "fixnet: the background compile of Wasm module {} failed; its procedures run in the interpreter: {}\n",
               module.short_hex(12), one_line(reason, 400));
  });
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
