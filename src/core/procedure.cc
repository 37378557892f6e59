#include "core/procedure.h"

#include <fmt/format.h>

#include <atomic>
#include <bit>
#include <cstring>
#include <mutex>

#include "core/error.h"

namespace fixnet {
namespace {

constexpr std::string_view kNativePrefix = "fixnet-native:";
constexpr int kMaxClosureDepth = 64;

void put_u64(char* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (8 * i));
}

uint64_t load_u64_le(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

uint64_t get_u64(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes.size() && i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(bytes[i])} << (8 * i);
  return v;
}

// The arguments of an invocation (entries 2…), each required to be an accessible Blob.
std::vector<BlobData> blob_args(const Invocation& inv, std::string_view procedure) {
  TreeData encode = inv.store.get_tree(inv.encode);
  std::vector<BlobData> args;
  for (size_t i = 2; i < encode->size(); ++i) {
    Name arg = (*encode)[i];
    if (!arg.is_blob() || arg.is_ref())
      throw ProcedureError(fmt::format("{}: argument {} is a {}{}, expected a Blob", procedure, i - 2,
                                       arg.is_ref() ? "Ref to a " : "", kind_name(arg.unref().kind())));
    args.push_back(inv.store.get_blob(arg));
  }
  return args;
}

}  // namespace

Name Limits::to_blob_name() const {
  char bytes[16];
  put_u64(bytes, memory_bytes);
  put_u64(bytes + 8, fuel);
  return Name::literal({bytes, 16});
}

Limits Limits::parse(Name limits) {
  if (!limits.is_blob() || limits.is_ref() || !limits.is_literal() || limits.size() != 16)
    throw ProcedureError(fmt::format(
        "the limits entry of an Application must be a 16-byte Blob (memory bytes, fuel: u64 LE), got a {} of size {}",
        kind_name(limits.kind()), limits.size()));
  // Parsed on every application: two word loads of the literal's bytes (a byte loop costs ~100
  // instructions here, as the compiler does not merge it).
  const uint8_t* b = limits.bytes().data();
  return Limits{load_u64_le(b), load_u64_le(b + 8)};
}

Name closure_root(ObjectStore& store, Name procedure) {
  for (int depth = 0; depth < kMaxClosureDepth; ++depth) {
    if (procedure.is_blob() && !procedure.is_ref()) return procedure;
    if (!procedure.is_tree() || procedure.is_ref() || procedure.size() == 0)
      throw ProcedureError(fmt::format("the procedure must be a Blob or a Tree [procedure, captured…], got a {}",
                                       kind_name(procedure.kind())));
    procedure = (*store.get_tree(procedure))[0];
  }
  throw ProcedureError(fmt::format("procedure closures nest deeper than {}", kMaxClosureDepth));
}

Name NativeProcedures::procedure_name(const std::string& name) {
  return Name::blob_name(std::string(kNativePrefix) + name);
}

Name NativeProcedures::add(const std::string& name, Fn fn) {
  std::unique_lock lock(mutex_);
  procedures_.insert_or_assign(name, std::move(fn));
  return procedure_name(name);
}

bool NativeProcedures::handles(ObjectStore& store, Name procedure_blob) {
  if (procedure_blob.size() <= kNativePrefix.size() || procedure_blob.size() > 256) return false;
  BlobData bytes = store.get_blob(procedure_blob);
  if (!bytes->starts_with(kNativePrefix)) return false;
  std::shared_lock lock(mutex_);
  return procedures_.contains(std::string_view(*bytes).substr(kNativePrefix.size()));
}

Name NativeProcedures::apply(const Invocation& invocation) {
  BlobData bytes = invocation.store.get_blob(procedure_root(invocation.store, invocation.procedure));
  std::string_view name = std::string_view(*bytes).substr(std::min(bytes->size(), kNativePrefix.size()));
  Fn fn;
  {
    std::shared_lock lock(mutex_);
    auto it = procedures_.find(name);
    if (it == procedures_.end())
      throw EnvironmentError(fmt::format("native procedure '{}' is not registered in this fixnet", name));
    fn = it->second;
  }
  return fn(invocation);
}

void NativeProcedures::add_builtins(NativeProcedures& natives) {
  natives.add("concat", [](const Invocation& inv) {
    std::string out;
    for (const BlobData& b : blob_args(inv, "concat")) out += *b;
    return inv.store.put_blob(out);
  });
  natives.add("add", [](const Invocation& inv) {
    uint64_t sum = 0;
    for (const BlobData& b : blob_args(inv, "add")) {
      if (b->size() > 8) throw ProcedureError(fmt::format("add: an argument has {} bytes, at most 8 (a u64 LE) are allowed", b->size()));
      sum += get_u64(*b);
    }
    char out[8];
    put_u64(out, sum);
    return Name::literal({out, 8});
  });
}

namespace {

std::atomic<uint64_t> next_dispatcher_id{1};

// This thread's last routing decision. Which runner handles a procedure never changes once one does
// (runners recognise procedures by their bytes: a Wasm magic, a native's prefix; natives are only
// ever added), so a repeated procedure skips asking every runner.
struct Route {
  uint64_t dispatcher = 0;
  Name root;
  ProcedureRunner* runner = nullptr;
};
thread_local Route tl_route;

}  // namespace

ProcedureDispatcher::ProcedureDispatcher() : id_(next_dispatcher_id.fetch_add(1)) {}

ProcedureRunner* ProcedureDispatcher::route(ObjectStore& store, Name root) {
  if (tl_route.dispatcher == id_ && tl_route.root == root) return tl_route.runner;
  for (ProcedureRunner* r : runners_)
    if (r->handles(store, root)) {
      tl_route = Route{id_, root, r};
      return r;
    }
  return nullptr;
}

bool ProcedureDispatcher::handles(ObjectStore& store, Name procedure_blob) {
  for (ProcedureRunner* r : runners_)
    if (r->handles(store, procedure_blob)) return true;
  return false;
}

ProcedureRunner* ProcedureDispatcher::runner_for(ObjectStore& store, Name procedure_blob) {
  ProcedureRunner* r = route(store, procedure_blob);
  return r ? r->runner_for(store, procedure_blob) : nullptr;
}

Name ProcedureDispatcher::apply(const Invocation& invocation) {
  Name root = procedure_root(invocation.store, invocation.procedure);
  if (ProcedureRunner* r = route(invocation.store, root)) return r->apply(invocation);
  // Not the input's fault: a fixnet with another runner may run it, so this is never memoized.
  throw EnvironmentError(fmt::format(
      "no procedure runner of this fixnet can run procedure {} (a Blob of {} bytes)", root.short_hex(), root.size()));
}

}  // namespace fixnet
