#include "wasm/loaded_module.h"

#include <cstring>

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>

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
  for (uint32_t i = 0; i < desc_->segment_count; ++i) {
    const uint64_t* seg = desc_->segments + 3 * i;  // memory offset, bytes, offset in the image
    const uint64_t from = std::max(begin, seg[0]), to = std::min(end, seg[0] + seg[1]);
    if (from < to) std::memcpy(memory + from, desc_->data_image + seg[2] + (from - seg[0]), to - from);
  }
}

void LoadedModule::copy_image(uint8_t* memory, uint64_t begin, uint64_t end) const {
  std::memset(memory + begin, 0, end - begin);
  copy_segments(memory, begin, end);
}

}  // namespace fixnet::wasm
