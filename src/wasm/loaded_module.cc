#include "wasm/loaded_module.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "wasm/host_api.h"

namespace fixnet::wasm {
namespace {

// dlopen is thread-safe, but binding runs the object's one-time initialization (its function-type
// registry): one bind at a time in the process.
std::mutex& bind_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

LoadedModule::LoadedModule(const std::filesystem::path& artifact, Name name) : name_(name) {
  std::lock_guard lock(bind_mutex());
  handle_ = ::dlopen(artifact.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) {
    const char* why = ::dlerror();
    throw EnvironmentError(fmt::format("cannot load compiled procedure {}: {} (remove it to recompile)",
                                       artifact.string(), why ? why : "unknown error"));
  }
  auto bind = reinterpret_cast<fixnet_wasm_bind_fn>(::dlsym(handle_, FIXNET_BIND_SYMBOL));
  desc_ = bind ? bind(&host_api()) : nullptr;
  if (!desc_ || desc_->abi_version != FIXNET_ABI_VERSION) {
    ::dlclose(handle_);
    throw EnvironmentError(
        fmt::format("compiled procedure {} does not speak fixnet's ABI version {} "
                    "(remove it to recompile)",
                    artifact.string(), FIXNET_ABI_VERSION));
  }
}

LoadedModule::~LoadedModule() {
  instances_.clear();
  std::lock_guard lock(bind_mutex());
  ::dlclose(handle_);
}

Instance* LoadedModule::acquire() {
  std::lock_guard lock(mutex_);
  if (!free_.empty()) {
    Instance* instance = free_.back();
    free_.pop_back();
    return instance;
  }
  instances_.push_back(std::make_unique<Instance>(*this));
  return instances_.back().get();
}

void LoadedModule::release(Instance* instance) {
  std::lock_guard lock(mutex_);
  free_.push_back(instance);
}

size_t LoadedModule::instance_count() {
  std::lock_guard lock(mutex_);
  return instances_.size();
}

void LoadedModule::copy_segments(uint8_t* memory, uint64_t begin, uint64_t end) const {
  // A large copy into fresh memory from the object's pages would take one page fault per 4 KiB on
  // both sides; populating both ranges first takes a few system calls (best effort: older kernels
  // lack MADV_POPULATE_*, and then the faults happen as before).
  if (begin == 0 && end == UINT64_MAX) prefault_segments(memory);
  for (uint32_t i = 0; i < desc_->segment_count; ++i) {
    const uint64_t* seg = desc_->segments + 3 * i;  // memory offset, bytes, offset in the image
    const uint64_t from = std::max(begin, seg[0]), to = std::min(end, seg[0] + seg[1]);
    if (from < to) std::memcpy(memory + from, desc_->data_image + seg[2] + (from - seg[0]), to - from);
  }
}

void LoadedModule::prefault_segments(uint8_t* memory) const {
#ifdef MADV_POPULATE_WRITE
  constexpr uint64_t kWorthIt = uint64_t{1} << 20;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  auto populate = [&](const void* p, uint64_t n, int advice) {
    const uintptr_t from = reinterpret_cast<uintptr_t>(p) & ~(page - 1);
    const uintptr_t to = (reinterpret_cast<uintptr_t>(p) + n + page - 1) & ~(page - 1);
    ::madvise(reinterpret_cast<void*>(from), to - from, advice);
  };
  for (uint32_t i = 0; i < desc_->segment_count; ++i) {
    const uint64_t* seg = desc_->segments + 3 * i;
    if (seg[1] < kWorthIt) continue;
    populate(desc_->data_image + seg[2], seg[1], MADV_POPULATE_READ);
    populate(memory + seg[0], seg[1], MADV_POPULATE_WRITE);
  }
#else
  (void)memory;
#endif
}

void LoadedModule::copy_image(uint8_t* memory, uint64_t begin, uint64_t end) const {
  std::memset(memory + begin, 0, end - begin);
  copy_segments(memory, begin, end);
}

}  // namespace fixnet::wasm
