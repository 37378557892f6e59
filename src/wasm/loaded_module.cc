#include "wasm/loaded_module.h"

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

constexpr size_t kImagePage = 4096;

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

void LoadedModule::record_image(const uint8_t* data, size_t size) {
  // Called by an Instance's constructor, inside acquire() (so under mutex_).
  if (image_recorded_) return;
  image_recorded_ = true;
  image_.assign(data, data + size);
  for (size_t page = 0; page < size; page += kImagePage) {
    const size_t end = std::min(size, page + kImagePage);
    if (std::all_of(data + page, data + end, [](uint8_t b) { return b == 0; })) continue;
    if (!image_nonzero_.empty() && image_nonzero_.back().second == page)
      image_nonzero_.back().second = end;
    else
      image_nonzero_.emplace_back(page, end);
  }
}

}  // namespace fixnet::wasm
