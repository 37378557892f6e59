#include "wasm/instance.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "wasm/guarded_call.h"
#include "wasm/loaded_module.h"
#include "wasm/invocation_errors.h"

namespace fixnet::wasm {
namespace {

thread_local Instance* tl_current = nullptr;

class CurrentScope {
 public:
  explicit CurrentScope(Instance* instance) : previous_(tl_current) { tl_current = instance; }
  ~CurrentScope() { tl_current = previous_; }
  CurrentScope(const CurrentScope&) = delete;
  CurrentScope& operator=(const CurrentScope&) = delete;

 private:
  Instance* previous_;
};

// What the guarded bodies need; plain data, as nothing with a destructor may live under the guard.
struct Call {
  const fixnet_module_v1* desc;
  void* state;
  fixnet_env* env;
  uint32_t result;
};

void instantiate_body(void* p) {
  Call* call = static_cast<Call*>(p);
  call->desc->instantiate(call->state, call->env);
}

void apply_body(void* p) {
  Call* call = static_cast<Call*>(p);
  call->result = call->desc->apply(call->state, 0);
}

void start_body(void* p) {
  Call* call = static_cast<Call*>(p);
  call->desc->start(call->state);
}

// Memory resets copy (or zero) up to this many bytes at once and drop pages (madvise) only above it:
// in a multithreaded process, dropping pages flushes every core's TLB, which costs more than copying a
// megabyte.
constexpr uint64_t kCopyResetBytes = uint64_t{1} << 20;

uint64_t reservation_bytes(uint32_t max_pages) {
  const uint64_t pages = std::min<uint64_t>(max_pages, kMaxMemoryPages);
  return std::max<uint64_t>(pages, 1) * kPageBytes;
}

}  // namespace

Instance* Instance::current() { return tl_current; }

Instance::Instance(LoadedModule& module) : module_(module), desc_(module.descriptor()) {
  state_size_ = desc_.instance_size;
  state_ = std::make_unique<std::byte[]>(state_size_);  // zeroed, as wasm2c expects
  context_.dirty = reinterpret_cast<uint64_t*>(state_.get() + desc_.dirty_offset);
  context_.dirty_shift = desc_.dirty_shift;
  context_.env.host = this;
  init_handles(context_);
  Call call{&desc_, state_.get(), env(), 0};
  int code;
  {
    CurrentScope scope(this);
    code = run_guarded(instantiate_body, &call);
    if (code != 0) desc_.free(state_.get());  // whatever was allocated before the trap
  }
  if (code == FIXNET_TRAP_HOST) std::rethrow_exception(context_.failure);
  if (code != 0) throw_instantiation_trap(module.name(), static_cast<uint32_t>(code));
  if (memory_) module_.copy_segments(memory_->data);  // bounds checked at compile time
  snapshot_ = std::make_unique<std::byte[]>(state_size_);
  std::memcpy(snapshot_.get(), state_.get(), state_size_);
  if (table_ && desc_.may_write_table) table_snapshot_.assign(table_->data, table_->data + table_->size);
}

Instance::~Instance() {
  CurrentScope scope(this);
  desc_.free(state_.get());
}

void Instance::begin(ObjectStore& store, const Limits& limits) {
  HostContext& c = context_;
  begin_invocation(c, store, limits);
  if (initial_memory_bytes_ > c.limits.memory_bytes) [[unlikely]]  // the check out of line
    check_initial_memory(module_.name(), initial_memory_bytes_, c.limits.memory_bytes);
  std::memcpy(state_.get() + desc_.fuel_offset, &c.limits.fuel, sizeof(uint64_t));
}

Name Instance::apply(const Invocation& invocation) {
  HostContext& c = context_;
  if (desc_.is_program) throw_not_a_procedure(module_.name());
  begin(invocation.store, invocation.limits);
  set_encode_handle(c, invocation);

  Call call{&desc_, state_.get(), env(), 0};
  int code;
  {
    CurrentScope scope(this);
    code = run_guarded(apply_body, &call);
  }
  if (code != 0) throw_trap(code);
  if (call.result >= c.env.count) {
    const uint32_t count = c.env.count;
    reset();
    throw_invalid_result(module_.name(), call.result, count);
  }
  const Name result = handle_name(c, call.result);
  reset();
  return result;
}

uint32_t Instance::run(ObjectStore& store, const Limits& limits, SystemCalls& system) {
  if (!desc_.is_program) throw_not_a_program(module_.name());
  begin(store, limits);
  context_.system = &system;
  context_.exit_code = 0;
  Call call{&desc_, state_.get(), env(), 0};
  int code;
  {
    CurrentScope scope(this);
    code = run_guarded(start_body, &call);
  }
  context_.system = nullptr;
  if (code != 0 && code != FIXNET_TRAP_EXIT) throw_trap(code);
  const uint32_t exit_code = code == FIXNET_TRAP_EXIT ? context_.exit_code : 0;
  reset();
  return exit_code;
}

void Instance::throw_trap(int code) {
  int64_t fuel;
  std::memcpy(&fuel, state_.get() + desc_.fuel_offset, sizeof fuel);
  const uint64_t fuel_limit = context_.limits.fuel;
  std::exception_ptr failure = std::move(context_.failure);
  reset();
  throw_trap_error(module_.name(), static_cast<uint32_t>(code), fuel, fuel_limit, std::move(failure));
}

void Instance::reset() {
  uint64_t dirty;
  std::memcpy(&dirty, state_.get() + desc_.dirty_offset, sizeof dirty);
  if (memory_ && (dirty || memory_->size != initial_memory_bytes_)) restore_memory(dirty);
  if (table_ && desc_.may_write_table)
    std::memcpy(table_->data, table_snapshot_.data(), table_snapshot_.size() * sizeof(wasm_rt_funcref_t));
  std::memcpy(state_.get(), snapshot_.get(), state_size_);  // globals, sizes, fuel, depth, dirty
  end_invocation(context_);
}

void Instance::restore_memory(uint64_t dirty) {
  uint8_t* data = memory_->data;
  const uint64_t initial = initial_memory_bytes_;
  const uint64_t current = memory_->size;
  if (current > initial) {  // grown: back to zero (the pages stay accessible, for the next grow)
    if (current - initial <= kCopyResetBytes)
      std::memset(data + initial, 0, current - initial);
    else
      ::madvise(data + initial, current - initial, MADV_DONTNEED);
  }
  if (dirty == ~uint64_t{0}) {  // everything (a bulk memory operation)
    if (initial <= kCopyResetBytes) {
      module_.copy_image(data, 0, initial);
      return;
    }
    ::madvise(data, initial, MADV_DONTNEED);
    module_.copy_segments(data);
    return;
  }
  for_each_dirty_range(dirty, desc_.dirty_shift, initial,
                       [&](uint64_t begin, uint64_t end) { module_.copy_image(data, begin, end); });
}

void Instance::allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages) {
  const uint64_t reserve = reservation_bytes(max_pages);
  const uint64_t initial = uint64_t{initial_pages} * kPageBytes;
  void* p = ::mmap(nullptr, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED || (initial && ::mprotect(p, initial, PROT_READ | PROT_WRITE) != 0)) {
    if (p != MAP_FAILED) ::munmap(p, reserve);
    context_.failure = std::make_exception_ptr(EnvironmentError(fmt::format(
        "cannot reserve {} bytes of memory for a procedure instance: {}", reserve, std::strerror(errno))));
    trap_unwind(FIXNET_TRAP_HOST);
  }
  memory->data = static_cast<uint8_t*>(p);
  memory->pages = initial_pages;
  memory->max_pages = max_pages;
  memory->size = static_cast<uint32_t>(initial);
  memory_ = memory;
  context_.memory = memory;
  initial_memory_bytes_ = accessible_bytes_ = initial;
}

uint32_t Instance::grow_memory(wasm_rt_memory_t* memory, uint32_t delta_pages) {
  const uint64_t old_pages = memory->pages;
  const uint64_t new_pages = old_pages + delta_pages;
  // Past the module's maximum, the format's cap or the invocation's limit, growing fails (the guest
  // sees -1, deterministically: the limits are part of the Application).
  if (new_pages > memory->max_pages || new_pages > kMaxMemoryPages ||
      new_pages * kPageBytes > context_.limits.memory_bytes)
    return UINT32_MAX;
  const uint64_t bytes = new_pages * kPageBytes;
  if (bytes > accessible_bytes_) {
    if (::mprotect(memory->data + accessible_bytes_, bytes - accessible_bytes_, PROT_READ | PROT_WRITE) !=
        0) {
      // The host is out of memory: not the computation's fault, so not a -1 the guest could see.
      context_.failure = std::make_exception_ptr(EnvironmentError(
          fmt::format("cannot grow a procedure's memory to {} bytes: {}", bytes, std::strerror(errno))));
      trap_unwind(FIXNET_TRAP_HOST);
    }
    accessible_bytes_ = bytes;
  }
  memory->pages = static_cast<uint32_t>(new_pages);
  memory->size = static_cast<uint32_t>(bytes);
  return static_cast<uint32_t>(old_pages);
}

void Instance::free_memory(wasm_rt_memory_t* memory) {
  if (memory->data) ::munmap(memory->data, reservation_bytes(memory->max_pages));
  memory->data = nullptr;
}

void Instance::allocate_table(wasm_rt_funcref_table_t* table, uint32_t elements, uint32_t max_elements) {
  table->data = static_cast<wasm_rt_funcref_t*>(
      std::calloc(std::max<uint32_t>(elements, 1), sizeof(wasm_rt_funcref_t)));
  if (!table->data) {
    context_.failure = std::make_exception_ptr(EnvironmentError("cannot allocate a procedure's table"));
    trap_unwind(FIXNET_TRAP_HOST);
  }
  table->size = elements;
  table->max_size = max_elements;
  table_ = table;
}

}  // namespace fixnet::wasm
