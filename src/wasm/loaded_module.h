// LoadedModule: a compiled procedure loaded into this process (dlopen once), with its pool of
// instances and the image of its initial memory that pooled instances are reset to. That image is
// never copied: right after instantiation, memory is zeros and the module's active data segments
// (all of them are kept out of the C and copied in by the host, c_codegen.h), so the segments in the
// loaded object describe it.
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

  // Writes bytes [begin, end) of the initial memory at `memory` + begin: zeros, then the parts of
  // the data segments that fall in the range, in segment order (a later segment wins, as in Wasm).
  void copy_image(uint8_t* memory, uint64_t begin, uint64_t end) const;
  // Copies every data segment into `memory` (which holds zeros).
  void copy_segments(uint8_t* memory) const { copy_segments(memory, 0, UINT64_MAX); }

 private:
  Name name_;
  void* handle_ = nullptr;
  const fixnet_module_v1* desc_ = nullptr;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::vector<Instance*> free_;
  void copy_segments(uint8_t* memory, uint64_t begin, uint64_t end) const;
  void prefault_segments(uint8_t* memory) const;
};

}  // namespace fixnet::wasm
