// Instance: one instantiation of a compiled procedure, with the host state of its invocations (the
// handle table). An Instance is used by one thread at a time; it is pooled and reset after every call
// (globals, memory, table restored to their state right after instantiation), so each invocation sees
// fresh state without paying for a new instantiation.
//
// Reset cost follows what the call did: the instance struct (globals, sizes, the fuel, depth and dirty
// counters) is always copied back — a few dozen bytes for small modules; of the initial memory, only
// the chunks the call wrote (instrument.h) are copied back from the module's image, and memory it grew
// is zeroed; the table only if the module has table-writing instructions.
#pragma once

#include <algorithm>
#include <cstring>
#include <exception>
#include <type_traits>
#include <memory>
#include <vector>

#include "core/procedure.h"
#include "fixnet_abi.h"
#include "wasm/sandbox_limits.h"

namespace fixnet::wasm {

class LoadedModule;

// What the host keeps alive for one handle once it has read its contents: a Tree's entries (which the
// handle's slot in fixnet_env points to, so a Tree read entry by entry is fetched once) or a Blob.
struct HandleHold {
  TreeData tree;
  BlobData blob;
};

// What host functions see of an invocation.
class SystemCalls;

struct HostContext {
  ObjectStore* store = nullptr;
  EffectiveLimits limits{};
  // The handle table, shared with the glue (fixnet_abi.h): env.slots points into `slots`, whose size is
  // env.capacity; env.count handles are in use. `holds` is indexed like the handles, as far as needed.
  fixnet_env env{};
  std::vector<fixnet_handle_slot> slots;
  std::vector<HandleHold> holds;
  wasm_rt_memory_t* memory = nullptr;  // the module's memory, if it has one
  uint64_t* dirty = nullptr;           // the instance's mask of written memory chunks
  uint32_t dirty_shift = 0;            // log2 of a chunk's bytes
  std::exception_ptr failure;          // why a host function trapped (FIXNET_TRAP_HOST)
  SystemCalls* system = nullptr;       // answers WASI calls while a Flatware program runs
  uint32_t exit_code = 0;              // proc_exit's code (FIXNET_TRAP_EXIT)
};

// The Name of handle h (h < env.count).
inline Name handle_name(const HostContext& c, uint32_t h) {
  static_assert(std::is_trivially_copyable_v<Name> && sizeof(Name) == sizeof(fixnet_handle_slot::name));
  Name n;
  std::memcpy(static_cast<void*>(&n), c.slots[h].name, sizeof n);
  return n;
}

// The first handle table of an instance (64 handles; the host grows it as needed).
inline void init_handles(HostContext& c) {
  c.slots.resize(64);
  c.env.slots = c.slots.data();
  c.env.capacity = static_cast<uint32_t>(c.slots.size());
}

// The limits (defaults applied) and the store of the invocation about to run.
inline void begin_invocation(HostContext& c, ObjectStore& store, const Limits& limits) {
  c.limits = effective(limits);
  c.store = &store;
  c.env.limit_memory = c.limits.memory_bytes;
  c.env.limit_fuel = c.limits.fuel;
}

// Handle 0: the encode tree, its entries those the evaluator already holds (no fetch).
inline void set_encode_handle(HostContext& c, const Invocation& invocation) {
  fixnet_handle_slot& encode = c.slots[0];
  std::memcpy(encode.name, invocation.encode.bytes().data(), sizeof encode.name);
  encode.entries =
      invocation.entries.empty() ? nullptr : reinterpret_cast<const uint8_t*>(invocation.entries.data());
  c.env.count = 1;
}

// Forgets the invocation's handles and what they held.
inline void end_invocation(HostContext& c) {
  c.env.count = 0;
  c.holds.clear();
  c.store = nullptr;
}

// Calls f(begin, end) for each range of an initial memory of `initial` bytes that dirty mask `dirty`
// (chunks of 2^shift bytes, instrument.h) says a call wrote: each chunk, plus the 8 bytes after it
// that a store starting at its end may have reached.
template <class F>
void for_each_dirty_range(uint64_t dirty, uint32_t shift, uint64_t initial, F&& f) {
  const uint64_t chunk = uint64_t{1} << shift;
  for (uint64_t bits = dirty; bits; bits &= bits - 1) {
    const uint64_t begin = static_cast<uint64_t>(__builtin_ctzll(bits)) * chunk;
    if (begin >= initial) continue;  // a store past the initial memory: the grown part, reset apart
    f(begin, std::min(initial, begin + chunk + 8));
  }
}

class Instance {
 public:
  // Instantiates `module`. Throws ProcedureError if instantiation traps (a data or element segment out
  // of bounds), EnvironmentError if memory cannot be reserved.
  explicit Instance(LoadedModule& module);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // Runs the procedure on `invocation` and returns the result's Name. A trap throws ProcedureError
  // naming it; a host failure rethrows its EnvironmentError. The instance is reset either way.
  Name apply(const Invocation& invocation);

  // Runs a Flatware program's `_start` with `system` answering its WASI calls and returns its exit
  // code (0 when `_start` returns). Throws like apply(); the instance is reset either way.
  uint32_t run(ObjectStore& store, const Limits& limits, SystemCalls& system);

  HostContext& context() { return context_; }
  fixnet_env* env() { return &context_.env; }
  static Instance* from_env(fixnet_env* env) { return static_cast<Instance*>(env->host); }
  // The instance whose guest code runs on this thread (for wasm-rt callbacks, which get no env).
  static Instance* current();

  // wasm-rt memory and table management (host side of fixnet_host_api).
  void allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages);
  uint32_t grow_memory(wasm_rt_memory_t* memory, uint32_t delta_pages);
  static void free_memory(wasm_rt_memory_t* memory);
  void allocate_table(wasm_rt_funcref_table_t* table, uint32_t elements, uint32_t max_elements);

  bool busy = false;  // in use by a call on some thread (guards against re-entrant reuse)

 private:
  void begin(ObjectStore& store, const Limits& limits);
  [[noreturn]] void throw_trap(int code);
  void reset();
  void restore_memory(uint64_t dirty);

  HostContext context_;
  LoadedModule& module_;
  const fixnet_module_v1& desc_;
  std::unique_ptr<std::byte[]> state_;  // wasm2c's instance struct
  std::unique_ptr<std::byte[]> snapshot_;
  size_t state_size_ = 0;
  wasm_rt_memory_t* memory_ = nullptr;
  uint64_t initial_memory_bytes_ = 0;
  uint64_t accessible_bytes_ = 0;  // read-write part of the reservation (grows, never shrinks)
  wasm_rt_funcref_table_t* table_ = nullptr;
  std::vector<wasm_rt_funcref_t> table_snapshot_;
  uint32_t result_handle_ = 0;
};

}  // namespace fixnet::wasm
