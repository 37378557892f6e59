#include "wasm/host_api.h"

#include <fmt/format.h>

#include <cstring>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>

#include "fixnet/guest.h"
#include "wasm/guarded_call.h"
#include "wasm/host_errors.h"
#include "wasm/instance.h"
#include "wasm/system_calls.h"

namespace fixnet::wasm {
namespace {

[[noreturn]] void fault(std::string message) { throw ProcedureError(std::move(message)); }

// The checks run on every guest API call and the faults almost never: the faults are out of line
// (cold), so that the checks inline into each entry point (a few ns of a call's ~10).
[[noreturn, gnu::cold, gnu::noinline]] void bad_handle(HostContext& c, uint32_t h, const char* fn) {
  fault(fmt::format("fixnet_{}: handle {} is not valid (this invocation has {} handles)", fn, h,
                    c.env.count));
}

[[noreturn, gnu::cold, gnu::noinline]] void too_many_handles(const char* fn) {
  fault(fmt::format("fixnet_{}: more than {} handles in one invocation", fn, kMaxHandles));
}

// The Name of handle h, checked.
Name slot(HostContext& c, uint32_t h, const char* fn) {
  if (h >= c.env.count) [[unlikely]]
    bad_handle(c, h, fn);
  return handle_name(c, h);
}

uint32_t add_handle(HostContext& c, Name name, const char* fn) {
  fixnet_env& env = c.env;
  if (env.count >= env.capacity) {  // grow the table the glue appends to (it never grows it itself)
    if (env.capacity >= kMaxHandles) [[unlikely]]
      too_many_handles(fn);
    c.slots.resize(std::min<size_t>(size_t{env.capacity} * 2, kMaxHandles));
    env.slots = c.slots.data();
    env.capacity = static_cast<uint32_t>(c.slots.size());
  }
  fixnet_handle_slot& s = env.slots[env.count];
  std::memcpy(s.name, name.bytes().data(), sizeof s.name);
  s.entries = nullptr;
  return env.count++;
}

HandleHold& hold(HostContext& c, uint32_t h) {
  if (c.holds.size() <= h) c.holds.resize(h + 1);
  return c.holds[h];
}

const char* describe(Name n) {
  if (n.is_ref())
    return n.is_blob() ? "a Ref to a Blob (its contents are not accessible)"
                       : "a Ref to a Tree (its contents are not accessible)";
  switch (n.kind()) {
    case Kind::Blob:
      return "a Blob";
    case Kind::Tree:
      return "a Tree";
    case Kind::Application:
      return "an Application thunk";
    case Kind::Identification:
      return "an Identification thunk";
    case Kind::Selection:
      return "a Selection thunk";
    case Kind::Strict:
      return "a Strict encode";
    case Kind::Shallow:
      return "a Shallow encode";
  }
  return "a Name";
}

GuestMemory memory_of(HostContext& c) {
  return c.memory ? GuestMemory(c.memory->data, c.memory->size, c.dirty, c.dirty_shift)
                  : GuestMemory(nullptr, 0, nullptr, 0);
}

[[noreturn]] void memory_fault(HostContext& c, uint32_t addr, uint64_t len, const char* fn) {
  fault(fmt::format("fixnet_{}: guest memory range [{}, {}) is outside the module's memory of {} bytes", fn, addr,
                    uint64_t{addr} + len, c.memory ? c.memory->size : 0));
}

// The guest's memory range [addr, addr + len), checked; writing marks it dirty (instance.h).
const uint8_t* guest_read(HostContext& c, uint32_t addr, uint64_t len, const char* fn) {
  try {
    return memory_of(c).read(addr, len);
  } catch (const GuestFault&) {
    memory_fault(c, addr, len, fn);
  }
}

uint8_t* guest_write(HostContext& c, uint32_t addr, uint64_t len, const char* fn) {
  try {
    return memory_of(c).write(addr, len);
  } catch (const GuestFault&) {
    memory_fault(c, addr, len, fn);
  }
}

// The entries of an accessible Tree (h is valid), loaded once per handle.
std::span<const Name> tree_of(HostContext& c, uint32_t h, const char* fn) {
  const Name n = handle_name(c, h);
  fixnet_handle_slot& s = c.env.slots[h];
  if (!s.entries) {
    if (!n.is_tree() || n.is_ref() || !n.is_value())
      fault(fmt::format("fixnet_{}: handle {} is {}, not an accessible Tree", fn, h, describe(n)));
    if (n.size() == 0) return {};
    HandleHold& held = hold(c, h);
    held.tree = c.store->get_tree(n);
    s.entries = reinterpret_cast<const uint8_t*>(held.tree->data());
  }
  return {reinterpret_cast<const Name*>(s.entries), n.size()};
}

[[noreturn, gnu::cold, gnu::noinline]] void not_a_blob(Name n, uint32_t h, const char* fn) {
  fault(fmt::format("fixnet_{}: handle {} is {}, not an accessible Blob", fn, h, describe(n)));
}

// Bytes of an accessible Blob; a literal's bytes live in its Name, with no store access.
std::string_view blob_of(HostContext& c, uint32_t h, const char* fn) {
  const Name n = handle_name(c, h);
  if (!n.is_blob() || n.is_ref() || !n.is_value()) [[unlikely]]
    not_a_blob(n, h, fn);
  if (n.is_literal()) return std::string_view(reinterpret_cast<const char*>(c.env.slots[h].name), n.size());
  HandleHold& held = hold(c, h);
  if (!held.blob) held.blob = c.store->get_blob(n);
  return *held.blob;
}

// Name derivations throw InputError for a role that makes no sense; for a guest that is its own fault.
template <class F>
Name derive(const char* fn, uint32_t h, Name n, F&& f) {
  try {
    return f(n);
  } catch (const InputError& e) {
    fault(fmt::format("fixnet_{}: handle {} is {}: {}", fn, h, describe(n), e.what()));
  }
}

namespace api {

uint32_t kind(HostContext& c, uint32_t h) {
  Name n = slot(c, h, "kind");
  if (n.is_ref()) return n.is_blob() ? FIXNET_KIND_BLOB_REF : FIXNET_KIND_TREE_REF;
  switch (n.kind()) {
    case Kind::Blob:
      return FIXNET_KIND_BLOB;
    case Kind::Tree:
      return FIXNET_KIND_TREE;
    case Kind::Application:
      return FIXNET_KIND_APPLICATION;
    case Kind::Identification:
      return FIXNET_KIND_IDENTIFICATION;
    case Kind::Selection:
      return FIXNET_KIND_SELECTION;
    case Kind::Strict:
      return FIXNET_KIND_STRICT;
    case Kind::Shallow:
      return FIXNET_KIND_SHALLOW;
  }
  return 0;
}

uint64_t size(HostContext& c, uint32_t h) {
  Name n = slot(c, h, "size");
  if (!n.is_value())
    fault(fmt::format("fixnet_size: handle {} is {}, not a Blob, a Tree or a Ref", h, describe(n)));
  return n.size();
}

uint32_t tree_entry(HostContext& c, uint32_t h, uint64_t i) {
  slot(c, h, "tree_entry");
  const std::span<const Name> entries = tree_of(c, h, "tree_entry");
  if (i >= entries.size())
    fault(fmt::format("fixnet_tree_entry: index {} is out of range for a Tree of {} entries", i,
                      entries.size()));
  return add_handle(c, entries[i], "tree_entry");
}

uint64_t blob_u64(HostContext& c, uint32_t h) {
  slot(c, h, "blob_u64");
  std::string_view bytes = blob_of(c, h, "blob_u64");
  if (bytes.size() > 8)
    fault(fmt::format("fixnet_blob_u64: the Blob has {} bytes, at most 8 fit", bytes.size()));
  uint64_t v = 0;
  for (size_t i = 0; i < bytes.size(); ++i) v |= uint64_t{static_cast<uint8_t>(bytes[i])} << (8 * i);
  return v;
}

void blob_read(HostContext& c, uint32_t h, uint64_t offset, uint32_t dst, uint32_t len) {
  slot(c, h, "blob_read");
  std::string_view bytes = blob_of(c, h, "blob_read");
  if (offset > bytes.size() || len > bytes.size() - offset)
    fault(fmt::format("fixnet_blob_read: bytes [{}, {}) are outside a Blob of {} bytes", offset, offset + len,
                      bytes.size()));
  uint8_t* out = guest_write(c, dst, len, "blob_read");
  std::memcpy(out, bytes.data() + offset, len);
}

uint32_t blob_create(HostContext& c, uint32_t src, uint32_t len) {
  const uint8_t* in = guest_read(c, src, len, "blob_create");
  return add_handle(c, c.store->put_blob({reinterpret_cast<const char*>(in), len}), "blob_create");
}

uint32_t blob_from_u64(HostContext& c, uint64_t v, uint32_t nbytes) {
  if (nbytes > 8) fault(fmt::format("fixnet_blob_from_u64: {} bytes asked, at most 8", nbytes));
  char bytes[8];
  for (uint32_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>(v >> (8 * i));
  return add_handle(c, Name::literal({bytes, nbytes}), "blob_from_u64");
}

uint32_t tree_create(HostContext& c, uint32_t src, uint32_t count) {
  const uint8_t* in = guest_read(c, src, uint64_t{count} * 4, "tree_create");
  std::vector<Name> entries(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t h;
    std::memcpy(&h, in + 4 * i, 4);  // wasm32 is little-endian, like every host fixnet supports
    entries[i] = slot(c, h, "tree_create");
  }
  return add_handle(c, c.store->put_tree(std::move(entries)), "tree_create");
}

// Thunks of Refs name the value itself: a Ref is inaccessible here, but whoever forces the thunk gets
// the value (that is how a procedure passes data along without loading it).
uint32_t application(HostContext& c, uint32_t h) {
  Name n = slot(c, h, "application");
  return add_handle(c, derive("application", h, n, [](Name x) { return x.unref().application(); }),
                    "application");
}

uint32_t identification(HostContext& c, uint32_t h) {
  Name n = slot(c, h, "identification");
  if (!n.is_value())
    fault(fmt::format("fixnet_identification: handle {} is {}, not a value", h, describe(n)));
  return add_handle(c, derive("identification", h, n, [](Name x) { return x.unref().identification(); }),
                    "identification");
}

uint32_t selection(HostContext& c, uint32_t h) {
  Name n = slot(c, h, "selection");
  return add_handle(c, derive("selection", h, n, [](Name x) { return x.unref().selection(); }), "selection");
}

uint32_t strict(HostContext& c, uint32_t h) {
  Name n = slot(c, h, "strict");
  return add_handle(c, derive("strict", h, n, [](Name x) { return x.strict(); }), "strict");
}

uint32_t shallow(HostContext& c, uint32_t h) {
  Name n = slot(c, h, "shallow");
  return add_handle(c, derive("shallow", h, n, [](Name x) { return x.shallow(); }), "shallow");
}

uint64_t limit_memory(HostContext& c) { return c.limits.memory_bytes; }
uint64_t limit_fuel(HostContext& c) { return c.limits.fuel; }

void fail(HostContext& c, uint32_t msg, uint32_t len) {
  constexpr uint32_t kMaxMessage = 1024;
  const uint8_t* in = guest_read(c, msg, len, "fail");
  std::string text(reinterpret_cast<const char*>(in), std::min(len, kMaxMessage));
  for (char& ch : text)  // error values carry one line of text
    if (static_cast<unsigned char>(ch) < 0x20) ch = ' ';
  throw GuestFailure(text);
}

}  // namespace api

// Runs f; an exception is recorded in the context (the frame that threw is gone by then).
template <class F>
bool attempt(HostContext& c, F&& f) noexcept {
  try {
    f();
    return true;
  } catch (...) {
    c.failure = std::current_exception();
    return false;
  }
}

// The C entry point of one guest API function: no object with a destructor is live when it unwinds.
template <auto Fn, class... Args>
auto entry(fixnet_env* env, Args... args) -> decltype(Fn(std::declval<HostContext&>(), args...)) {
  HostContext& c = Instance::from_env(env)->context();
  using R = decltype(Fn(c, args...));
  if constexpr (std::is_void_v<R>) {
    if (!attempt(c, [&] { Fn(c, args...); })) trap_unwind(FIXNET_TRAP_HOST);
  } else {
    R r{};
    if (!attempt(c, [&] { r = Fn(c, args...); })) trap_unwind(FIXNET_TRAP_HOST);
    return r;
  }
}

uint32_t answer_wasi(HostContext& c, uint32_t call, const uint64_t* args, bool* exited) {
  if (!c.system) fault("a WASI call outside a Flatware run");
  if (call >= kWasiCallCount) fault(fmt::format("WASI call {} does not exist", call));
  GuestMemory memory = memory_of(c);
  try {
    return c.system->call(static_cast<WasiCall>(call), args, memory);
  } catch (const ProcExit& e) {
    c.exit_code = e.code;
    *exited = true;
    return 0;
  }
}

// A Flatware program's WASI import, answered by the run's SystemCalls. proc_exit unwinds like a trap,
// with its own code, once nothing with a destructor is live.
uint32_t host_wasi(fixnet_env* env, uint32_t call, const uint64_t* args) {
  HostContext& c = Instance::from_env(env)->context();
  uint32_t result = 0;
  bool exited = false;
  if (!attempt(c, [&] { result = answer_wasi(c, call, args, &exited); })) trap_unwind(FIXNET_TRAP_HOST);
  if (exited) trap_unwind(FIXNET_TRAP_EXIT);
  return result;
}

// A guest API function called with its arguments as u64s (for the interpreter).
template <auto Fn>
struct ByIndex;
template <class R, class... A, R (*Fn)(HostContext&, A...)>
struct ByIndex<Fn> {
  static uint64_t call(HostContext& c, const uint64_t* args) {
    return invoke(c, args, std::index_sequence_for<A...>{});
  }
  template <size_t... I>
  static uint64_t invoke(HostContext& c, const uint64_t* args, std::index_sequence<I...>) {
    if constexpr (std::is_void_v<R>) {
      Fn(c, static_cast<A>(args[I])...);
      return 0;
    } else {
      return static_cast<uint64_t>(Fn(c, static_cast<A>(args[I])...));
    }
  }
};

// In guest_functions()'s order (the same X-macros, in the same order).
#define FIXNET_BY_INDEX(name, ret, wres, wparams, params, args) &ByIndex<&api::name>::call,
constexpr uint64_t (*kByIndex[])(HostContext&, const uint64_t*) = {
    FIXNET_GUEST_API_FAST(FIXNET_BY_INDEX) FIXNET_GUEST_API_VALUE(FIXNET_BY_INDEX)
        FIXNET_GUEST_API_VOID(FIXNET_BY_INDEX)};
#undef FIXNET_BY_INDEX

void host_trap(uint32_t code) { trap_unwind(code); }
void host_allocate_memory(wasm_rt_memory_t* m, uint32_t initial, uint32_t max) {
  Instance::current()->allocate_memory(m, initial, max);
}
uint32_t host_grow_memory(wasm_rt_memory_t* m, uint32_t delta) {
  return Instance::current()->grow_memory(m, delta);
}
void host_free_memory(wasm_rt_memory_t* m) { Instance::free_memory(m); }
void host_allocate_table(wasm_rt_funcref_table_t* t, uint32_t n, uint32_t max) {
  Instance::current()->allocate_table(t, n, max);
}
void host_free_table(wasm_rt_funcref_table_t* t) {
  std::free(t->data);
  t->data = nullptr;
}

fixnet_host_api make_api() {
  fixnet_host_api a{};
  a.abi_version = FIXNET_ABI_VERSION;
  a.trap = host_trap;
  a.allocate_memory = host_allocate_memory;
  a.grow_memory = host_grow_memory;
  a.free_memory = host_free_memory;
  a.allocate_table = host_allocate_table;
  a.free_table = host_free_table;
#define FIXNET_BIND(name, ret, wres, wparams, params, args) a.name = &entry<&api::name>;
  FIXNET_GUEST_API_FAST(FIXNET_BIND)
  FIXNET_GUEST_API_VALUE(FIXNET_BIND)
  FIXNET_GUEST_API_VOID(FIXNET_BIND)
#undef FIXNET_BIND
  a.wasi = host_wasi;
  return a;
}

}  // namespace

uint64_t call_guest_api(HostContext& c, uint32_t index, const uint64_t* args) {
  if (index >= std::size(kByIndex)) fault(fmt::format("guest API function {} does not exist", index));
  return kByIndex[index](c, args);
}

uint32_t call_wasi(HostContext& c, uint32_t call, const uint64_t* args, bool* exited) {
  return answer_wasi(c, call, args, exited);
}

const fixnet_host_api& host_api() {
  static const fixnet_host_api api = make_api();
  return api;
}

}  // namespace fixnet::wasm
