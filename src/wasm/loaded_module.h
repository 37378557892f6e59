// LoadedModule: a compiled procedure loaded into this process (dlopen once), with its pool of
// instances and the image of its initial memory that pooled instances are reset to.
//
// Thread-safe: acquire() hands an instance to one caller for exclusive use (taking a pooled one, or
// instantiating a new one), release() returns it. Both lock; callers on the hot path keep an acquired
// instance per thread (see WasmRunner) instead of calling them per invocation.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "core/name.h"
#include "fixnet_abi.h"
#include "wasm/instance.h"

namespace fixnet::wasm {

class LoadedModule {
 public:
  // dlopens and binds `artifact` (made by Toolchain for module `name`). Throws EnvironmentError when
  // the object cannot be loaded or speaks another ABI version.
  LoadedModule(const std::filesystem::path& artifact, Name name);
  ~LoadedModule();  // destroys every instance (none may be in use), then unloads
  LoadedModule(const LoadedModule&) = delete;
  LoadedModule& operator=(const LoadedModule&) = delete;

  Name name() const { return name_; }
  const fixnet_module_v1& descriptor() const { return *desc_; }

  Instance* acquire();  // throws like Instance's constructor
  void release(Instance* instance);
  size_t instance_count();

  // Memory right after instantiation, recorded from the first instance: what resets copy back.
  void record_image(const uint8_t* data, size_t size);
  const std::vector<uint8_t>& image() const { return image_; }
  // [begin, end) byte ranges of the image that are not zero, in 4 KiB pages.
  const std::vector<std::pair<size_t, size_t>>& image_nonzero() const { return image_nonzero_; }

 private:
  Name name_;
  void* handle_ = nullptr;
  const fixnet_module_v1* desc_ = nullptr;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::vector<Instance*> free_;
  bool image_recorded_ = false;
  std::vector<uint8_t> image_;
  std::vector<std::pair<size_t, size_t>> image_nonzero_;
};

}  // namespace fixnet::wasm
