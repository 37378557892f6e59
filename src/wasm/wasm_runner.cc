#include "wasm/wasm_runner.h"

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "core/error.h"
#include "wasm/interpreter.h"
#include "wasm/loaded_module.h"
#include "wasm/module_check.h"
#include "wasm/toolchain.h"

namespace fixnet::wasm {
namespace {

constexpr std::string_view kWasmMagic{"\0asm", 4};

std::atomic<uint64_t> next_runner_id{1};

}  // namespace

bool looks_like_wasm(std::string_view bytes) { return bytes.starts_with(kWasmMagic); }

std::string_view engine_name(Engine engine) {
  switch (engine) {
    case Engine::Native:
      return "native";
    case Engine::Interp:
      return "interp";
    default:
      return "auto";
  }
}

std::optional<Engine> engine_named(std::string_view name) {
  for (Engine e : {Engine::Auto, Engine::Native, Engine::Interp})
    if (engine_name(e) == name) return e;
  return std::nullopt;
}

// A module being made ready (compiled and loaded, or read for the interpreter), or ready: the first
// caller does the work, the others wait.
template <class Module>
struct ModuleSlot {
  std::mutex mutex;
  std::condition_variable ready;
  enum class State { Loading, Loaded, Invalid, Unavailable } state = State::Loading;
  std::unique_ptr<Module> module;
  std::string failure;  // why Invalid (ProcedureError) or Unavailable (EnvironmentError)
};

template <class Module>
using ModuleSlots = std::unordered_map<Name, std::shared_ptr<ModuleSlot<Module>>, NameHash>;

// What runs a module: its loaded native code or the interpreter (exactly one is set).
struct Backend {
  LoadedModule* native = nullptr;
  InterpretedModule* interpreted = nullptr;
};

struct WasmRunner::Core {
  Core(std::filesystem::path cache_dir, WasmRunnerOptions options)
      : options(options), toolchain(std::move(cache_dir)) {}
  ~Core() { join_compiles(); }

  // Compiled and loaded (compiling if needed, waiting for a compile under way).
  LoadedModule& module(Name root, const std::function<BlobData()>& bytes);
  LoadedModule& module(ObjectStore& store, Name root) {
    return module(root, [&] { return store.get_blob(root); });
  }
  InterpretedModule& interpreted(ObjectStore& store, Name root);
  // Where the engine says `root` runs now (loading, reading or starting a compile as needed).
  Backend backend(ObjectStore& store, Name root);
  bool is_program(ObjectStore& store, Name root);
  // auto: the compiled module if it is loaded (throws if compiling refused it), else nullptr.
  LoadedModule* loaded(Name root);
  // auto: starts compiling `root` in the background after `check` (which throws for a module that
  // must not compile), unless a compile was started before; true if it is compiled already (nothing
  // started).
  bool compile_in_background(ObjectStore& store, Name root, const std::function<void()>& check);
  void join_compiles();

  template <class Module, class Make>
  Module& ready(ModuleSlots<Module>& slots, Name root, Make&& make);

  const uint64_t id = next_runner_id.fetch_add(1);
  const WasmRunnerOptions options;
  WasmRunner::CompileFailureObserver compile_failure_observer;  // set before anything runs
  Toolchain toolchain;
  std::shared_mutex mutex;
  ModuleSlots<LoadedModule> modules;
  ModuleSlots<InterpretedModule> interpreters;
  std::atomic<uint64_t> interpreted_calls{0};
  std::mutex compiles_mutex;
  std::unordered_map<Name, std::thread, NameHash> compiles;  // started in the background (auto)
};

template <class Module, class Make>
Module& WasmRunner::Core::ready(ModuleSlots<Module>& slots, Name root, Make&& make) {
  using Slot = ModuleSlot<Module>;
  std::shared_ptr<Slot> slot;
  bool loader = false;
  {
    std::shared_lock lock(mutex);
    if (auto it = slots.find(root); it != slots.end()) slot = it->second;
  }
  if (!slot) {
    std::unique_lock lock(mutex);
    auto [it, inserted] = slots.try_emplace(root, nullptr);
    if (inserted) it->second = std::make_shared<Slot>();
    slot = it->second;
    loader = inserted;
  }
  if (loader) {
    typename Slot::State state = Slot::State::Loaded;
    std::string failure;
    std::unique_ptr<Module> made;
    try {
      made = make();
    } catch (const ProcedureError& e) {
      state = Slot::State::Invalid;
      failure = e.what();
    } catch (const std::exception& e) {
      state = Slot::State::Unavailable;
      failure = e.what();
    }
    {
      std::lock_guard lock(slot->mutex);
      slot->state = state;
      slot->failure = failure;
      slot->module = std::move(made);
    }
    slot->ready.notify_all();
    if (state == Slot::State::Unavailable) {  // not the module's fault: let a later call retry
      std::unique_lock lock(mutex);
      slots.erase(root);
    }
  }
  std::unique_lock lock(slot->mutex);
  slot->ready.wait(lock, [&] { return slot->state != Slot::State::Loading; });
  switch (slot->state) {
    case Slot::State::Loaded:
      return *slot->module;
    case Slot::State::Invalid:
      throw ProcedureError(slot->failure);
    default:
      throw EnvironmentError(slot->failure);
  }
}

LoadedModule& WasmRunner::Core::module(Name root, const std::function<BlobData()>& bytes) {
  return ready(modules, root, [&] { return std::make_unique<LoadedModule>(toolchain.artifact(root, bytes), root); });
}

InterpretedModule& WasmRunner::Core::interpreted(ObjectStore& store, Name root) {
  return ready(interpreters, root, [&] {
    BlobData bytes = store.get_blob(root);
    return std::make_unique<InterpretedModule>(*bytes, root);
  });
}

LoadedModule* WasmRunner::Core::loaded(Name root) {
  std::shared_lock lock(mutex);
  auto it = modules.find(root);
  if (it == modules.end()) return nullptr;
  std::lock_guard slot_lock(it->second->mutex);
  if (it->second->state == ModuleSlot<LoadedModule>::State::Invalid) throw ProcedureError(it->second->failure);
  return it->second->state == ModuleSlot<LoadedModule>::State::Loaded ? it->second->module.get() : nullptr;
}

bool WasmRunner::Core::compile_in_background(ObjectStore& store, Name root, const std::function<void()>& check) {
  std::lock_guard lock(compiles_mutex);
  if (compiles.contains(root)) return false;
  try {
    if (toolchain.cached(root)) return true;
  } catch (const EnvironmentError&) {
    // No compiler here: the interpreter runs the module (the compile below fails the same way).
  }
  check();  // an invalid module is refused before anything compiles
  BlobData bytes = store.get_blob(root);  // the compile must not outlive the caller's store
  compiles.emplace(root, std::thread([this, root, bytes] {
    std::string failure;
    try {
      module(root, [&] { return bytes; });
    } catch (const std::exception& e) {
      // Left to the calls: an invalid module is refused by the next one (loaded()); with no
      // compiler, the interpreter goes on. Whoever asked is told, once (a module is compiled in the
      // background at most once per runner).
      failure = e.what();
    }
    if (failure.empty() || !compile_failure_observer) return;
    try {
      compile_failure_observer(root, failure);
    } catch (const std::exception&) {
      // A report that cannot be written (stderr closed) must not end the process.
    }
  }));
  return false;
}

Backend WasmRunner::Core::backend(ObjectStore& store, Name root) {
  if (options.engine == Engine::Native) return {&module(store, root)};
  if (options.engine == Engine::Interp) return {nullptr, &interpreted(store, root)};
  if (LoadedModule* native = loaded(root)) return {native};
  if (compile_in_background(store, root, [&] { interpreted(store, root); })) return {&module(store, root)};
  return {nullptr, &interpreted(store, root)};
}

bool WasmRunner::Core::is_program(ObjectStore& store, Name root) {
  if (options.engine == Engine::Native) return module(store, root).descriptor().is_program != 0;
  if (options.engine == Engine::Interp) return interpreted(store, root).is_program();
  if (LoadedModule* native = loaded(root)) return native->descriptor().is_program != 0;
  {
    std::shared_lock lock(mutex);
    if (auto it = interpreters.find(root); it != interpreters.end()) {
      std::lock_guard slot_lock(it->second->mutex);
      if (it->second->module) return it->second->module->is_program();
    }
  }
  // Not read for the interpreter: a program would not run there (run_program), so inspection alone.
  auto inspect = [&] { return check_module(*store.get_blob(root)).facts.is_program; };
  std::optional<bool> program;
  if (compile_in_background(store, root, [&] { program = inspect(); }))
    return module(store, root).descriptor().is_program != 0;
  return program ? *program : inspect();
}

void WasmRunner::Core::join_compiles() {
  std::unordered_map<Name, std::thread, NameHash> started;
  {
    std::lock_guard lock(compiles_mutex);
    started.swap(compiles);
  }
  for (auto& [name, thread] : started) thread.join();
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

WasmRunner::WasmRunner(std::filesystem::path cache_dir, WasmRunnerOptions options)
    : core_(std::make_shared<Core>(std::move(cache_dir), options)) {}

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
  const Backend backend = core_->backend(invocation.store, root);
  if (backend.interpreted) {
    core_->interpreted_calls.fetch_add(1, std::memory_order_relaxed);
    if (core_->options.engine == Engine::Interp) return backend.interpreted->apply(invocation);
    try {  // auto: a long computation is better left to the compiled code
      return backend.interpreted->apply(invocation, kAutoInterpreterFuel);
    } catch (const InterpreterBudgetExhausted&) {
    }
  }
  LoadedModule& module = backend.native ? *backend.native : core_->module(invocation.store, root);
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
  // Under auto, programs run compiled: their WASI calls change `system`, so an interpreted run could
  // not be given up halfway for compiled code as a procedure's can (apply).
  if (core_->options.engine == Engine::Interp) {
    core_->interpreted_calls.fetch_add(1, std::memory_order_relaxed);
    return core_->interpreted(store, program).run(store, limits, system);
  }
  LoadedModule& module = core_->module(store, program);
  Instance* instance = module.acquire();
  Lease lease{module, instance};
  BusyScope busy(instance);
  return instance->run(store, limits, system);
}

bool WasmRunner::is_program(ObjectStore& store, Name module) { return core_->is_program(store, module); }

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
  for (auto& [name, slot] : core_->interpreters) {
    std::lock_guard slot_lock(slot->mutex);
    if (slot->module) ++s.interpreted;
  }
  s.interpreted_calls = core_->interpreted_calls.load(std::memory_order_relaxed);
  s.compiled = core_->toolchain.stats().compiled.load();
  s.cache_hits = core_->toolchain.stats().cache_hits.load();
  return s;
}

Toolchain& WasmRunner::toolchain() { return core_->toolchain; }

void WasmRunner::set_compile_failure_observer(CompileFailureObserver observer) {
  core_->compile_failure_observer = std::move(observer);
}

std::unique_ptr<ProcedureRunner> make_wasm_runner(std::filesystem::path cache_dir, WasmRunnerOptions options) {
  return std::make_unique<WasmRunner>(std::move(cache_dir), options);
}

}  // namespace fixnet::wasm
