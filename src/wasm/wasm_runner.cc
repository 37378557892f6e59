#include "wasm/wasm_runner.h"

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <shared_mutex>
#include <unordered_map>

#include "core/error.h"
#include "wasm/loaded_module.h"
#include "wasm/toolchain.h"

namespace fixnet::wasm {
namespace {

constexpr std::string_view kWasmMagic{"\0asm", 4};

std::atomic<uint64_t> next_runner_id{1};

}  // namespace

bool looks_like_wasm(std::string_view bytes) { return bytes.starts_with(kWasmMagic); }

// A module being compiled or loaded, or loaded: the first caller does the work, the others wait.
struct ModuleSlot {
  std::mutex mutex;
  std::condition_variable ready;
  enum class State { Loading, Loaded, Invalid, Unavailable } state = State::Loading;
  std::unique_ptr<LoadedModule> module;
  std::string failure;  // why Invalid (ProcedureError) or Unavailable (EnvironmentError)
};

struct WasmRunner::Core {
  explicit Core(std::filesystem::path cache_dir) : toolchain(std::move(cache_dir)) {}

  LoadedModule& module(ObjectStore& store, Name root);

  const uint64_t id = next_runner_id.fetch_add(1);
  Toolchain toolchain;
  std::shared_mutex mutex;
  std::unordered_map<Name, std::shared_ptr<ModuleSlot>, NameHash> modules;
};

LoadedModule& WasmRunner::Core::module(ObjectStore& store, Name root) {
  std::shared_ptr<ModuleSlot> slot;
  bool loader = false;
  {
    std::shared_lock lock(mutex);
    if (auto it = modules.find(root); it != modules.end()) slot = it->second;
  }
  if (!slot) {
    std::unique_lock lock(mutex);
    auto [it, inserted] = modules.try_emplace(root, nullptr);
    if (inserted) it->second = std::make_shared<ModuleSlot>();
    slot = it->second;
    loader = inserted;
  }
  if (loader) {
    ModuleSlot::State state = ModuleSlot::State::Loaded;
    std::string failure;
    std::unique_ptr<LoadedModule> loaded;
    try {
      auto path = toolchain.artifact(root, [&] { return store.get_blob(root); });
      loaded = std::make_unique<LoadedModule>(path, root);
    } catch (const ProcedureError& e) {
      state = ModuleSlot::State::Invalid;
      failure = e.what();
    } catch (const std::exception& e) {
      state = ModuleSlot::State::Unavailable;
      failure = e.what();
    }
    {
      std::lock_guard lock(slot->mutex);
      slot->state = state;
      slot->failure = failure;
      slot->module = std::move(loaded);
    }
    slot->ready.notify_all();
    if (state == ModuleSlot::State::Unavailable) {  // not the module's fault: let a later call retry
      std::unique_lock lock(mutex);
      modules.erase(root);
    }
  }
  std::unique_lock lock(slot->mutex);
  slot->ready.wait(lock, [&] { return slot->state != ModuleSlot::State::Loading; });
  switch (slot->state) {
    case ModuleSlot::State::Loaded:
      return *slot->module;
    case ModuleSlot::State::Invalid:
      throw ProcedureError(slot->failure);
    default:
      throw EnvironmentError(slot->failure);
  }
}

namespace {

// This thread's most recently used (runner, module, instance) triples. An entry's instance belongs to
// this thread until the entry is evicted or the thread ends; `owner` tells whether the runner still
// exists then (if not, its modules and instances are already gone and must not be touched).
struct CachedInstance {
  uint64_t runner = 0;
  Name name;
  LoadedModule* module = nullptr;
  Instance* instance = nullptr;
  std::weak_ptr<WasmRunner::Core> owner;

  // Whether this entry's instance may go back to its pool (it is not running further up this stack).
  bool evictable() const {
    if (!instance) return true;
    auto core = owner.lock();
    return !core || !instance->busy;
  }

  void give_back() {
    if (!instance) return;
    if (auto core = owner.lock()) module->release(instance);
    *this = CachedInstance{};
  }
};

struct ThreadInstances {
  static constexpr size_t kEntries = 4;
  std::array<CachedInstance, kEntries> entries;
  ~ThreadInstances() {
    for (CachedInstance& e : entries) e.give_back();
  }
};

thread_local ThreadInstances tl_instances;

// An instance taken from its module's pool for one call, given back when the call ends.
struct Lease {
  LoadedModule& module;
  Instance* instance;
  ~Lease() { module.release(instance); }
};

// Marks an instance in use for the duration of a call.
class BusyScope {
 public:
  explicit BusyScope(Instance* instance) : instance_(instance) { instance_->busy = true; }
  ~BusyScope() { instance_->busy = false; }
  BusyScope(const BusyScope&) = delete;
  BusyScope& operator=(const BusyScope&) = delete;

 private:
  Instance* instance_;
};

}  // namespace

WasmRunner::WasmRunner(std::filesystem::path cache_dir)
    : core_(std::make_shared<Core>(std::move(cache_dir))) {}

WasmRunner::~WasmRunner() {
  // This thread's cached instances go back first; other threads' entries see the runner gone.
  for (CachedInstance& e : tl_instances.entries)
    if (e.runner == core_->id) e.give_back();
}

bool WasmRunner::handles(ObjectStore& store, Name procedure_blob) {
  const CachedInstance& last = tl_instances.entries[0];
  if (last.runner == core_->id && last.name == procedure_blob) return true;
  {
    std::shared_lock lock(core_->mutex);
    if (core_->modules.contains(procedure_blob)) return true;
  }
  if (procedure_blob.size() < kWasmMagic.size()) return false;
  if (procedure_blob.is_literal()) return looks_like_wasm(procedure_blob.literal_bytes());
  return looks_like_wasm(*store.get_blob(procedure_blob));
}

Name WasmRunner::apply(const Invocation& invocation) {
  const Name root = procedure_root(invocation.store, invocation.procedure);
  auto& entries = tl_instances.entries;
  // Hot path: the same procedure as this thread's last call on this runner.
  if (entries[0].runner == core_->id && entries[0].name == root && !entries[0].instance->busy) {
    BusyScope busy(entries[0].instance);
    return entries[0].instance->apply(invocation);
  }
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].runner != core_->id || entries[i].name != root || entries[i].instance->busy) continue;
    std::rotate(entries.begin(), entries.begin() + i, entries.begin() + i + 1);
    BusyScope busy(entries[0].instance);
    return entries[0].instance->apply(invocation);
  }
  LoadedModule& module = core_->module(invocation.store, root);
  Instance* instance = module.acquire();
  // A call inside a call on this thread (entries in use cannot be evicted): a private instance.
  const bool nested =
      (entries[0].runner == core_->id && entries[0].name == root) || !entries.back().evictable();
  if (nested) {
    Lease lease{module, instance};
    BusyScope busy(instance);
    return instance->apply(invocation);
  }
  entries.back().give_back();
  std::rotate(entries.begin(), entries.end() - 1, entries.end());
  entries[0] = CachedInstance{core_->id, root, &module, instance, core_};
  BusyScope busy(instance);
  return instance->apply(invocation);
}

uint32_t WasmRunner::run_program(ObjectStore& store, Name program, const Limits& limits, SystemCalls& system) {
  LoadedModule& module = core_->module(store, program);
  Instance* instance = module.acquire();
  Lease lease{module, instance};
  BusyScope busy(instance);
  return instance->run(store, limits, system);
}

bool WasmRunner::is_program(ObjectStore& store, Name module) {
  return core_->module(store, module).descriptor().is_program != 0;
}

void WasmRunner::prepare(ObjectStore& store, Name module) { core_->module(store, module); }

WasmRunnerStats WasmRunner::stats() {
  WasmRunnerStats s;
  std::shared_lock lock(core_->mutex);
  for (auto& [name, slot] : core_->modules) {
    std::lock_guard slot_lock(slot->mutex);
    if (!slot->module) continue;
    ++s.modules_loaded;
    s.instances += slot->module->instance_count();
  }
  s.compiled = core_->toolchain.stats().compiled.load();
  s.cache_hits = core_->toolchain.stats().cache_hits.load();
  return s;
}

Toolchain& WasmRunner::toolchain() { return core_->toolchain; }

std::unique_ptr<ProcedureRunner> make_wasm_runner(std::filesystem::path cache_dir) {
  return std::make_unique<WasmRunner>(std::move(cache_dir));
}

}  // namespace fixnet::wasm
