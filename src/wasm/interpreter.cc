#include "wasm/interpreter.h"

#include <fmt/format.h>
#include <wabt/binary-writer.h>
#include <wabt/ir.h>
#include <wabt/stream.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>

#include "core/error.h"
#include "fixnet_abi.h"
#include "wasm/guest_api.h"
#include "wasm/host_api.h"
#include "wasm/instance.h"
#include "wasm/interpreter_checks.h"
#include "wasm/invocation_errors.h"
#include "wasm/system_calls.h"
#include "wasm/toolchain.h"
#include "wasm/wabt_features.h"
#include "wasm/wabt_machine.h"

namespace fixnet::wasm {
namespace {

// The compiled code's trap code for a trap of wabt's interpreter, by its message (interp.cc and
// interp-math.h of wabt 1.0.32). Anything else would give a result the compiled code might not: an
// environment failure, never memoized.
uint32_t trap_code(const std::string& message) {
  static constexpr std::pair<std::string_view, uint32_t> kTraps[] = {
      {"out of bounds", WASM_RT_TRAP_OOB},
      {"integer divide by zero", WASM_RT_TRAP_DIV_BY_ZERO},
      {"integer overflow", WASM_RT_TRAP_INT_OVERFLOW},
      {"invalid conversion to integer", WASM_RT_TRAP_INVALID_CONVERSION},
      {"unreachable executed", WASM_RT_TRAP_UNREACHABLE},
      {"undefined table index", WASM_RT_TRAP_CALL_INDIRECT},
      {"uninitialized table element", WASM_RT_TRAP_CALL_INDIRECT},
      {"indirect call signature mismatch", WASM_RT_TRAP_CALL_INDIRECT},
      {"call stack exhausted", WASM_RT_TRAP_EXHAUSTION},
  };
  for (const auto& [prefix, code] : kTraps)
    if (std::string_view(message).starts_with(prefix)) return code;
  throw EnvironmentError(fmt::format("wabt's interpreter trapped with \"{}\", which fixnet does not know; "
                                     "run the procedure with --engine native",
                                     message));
}

// What an import calls: guest API function `index`, or WASI call `index`.
struct HostCall {
  bool wasi;
  uint32_t index;
};

HostCall host_call_of(const WabtCode::Import& import) {
  if (import.module == kGuestModule) {
    const GuestFunction* f = find_guest_function(import.name);
    if (f) return {false, static_cast<uint32_t>(f - guest_functions().data())};
  } else if (import.module == kWasiModule) {
    for (uint32_t call = 0; call < kWasiCallCount; ++call)
      if (wasi_call_name(static_cast<WasiCall>(call)) == import.name) return {true, call};
  }
  // check_module accepts no other import.
  throw ProcedureError(fmt::format("invalid procedure module: imports \"{}\" \"{}\"", import.module, import.name));
}

// The instrumented module, with the interpreter checks, as a binary.
std::vector<uint8_t> binary_of(const wabt::Module& module) {
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions options;
  options.features = toolchain_features();
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, &module, options)))
    throw ProcedureError("fixnet could not write the instrumented module for the interpreter; please report it");
  return std::move(stream.output_buffer().data);
}

}  // namespace

// The module as the interpreter runs it, shared by its instances.
struct InterpretedModule::Description {
  std::unique_ptr<WabtCode> code;
  ModuleFacts facts;
  InterpreterChecks checks{};
  uint32_t dirty_shift = 0;
  uint64_t initial_memory_bytes = 0;
  std::vector<HostCall> imports;  // per code->imports()
};

// One instantiation and the host state of its invocations.
class InterpretedModule::Interpreter {
 public:
  Interpreter(const Description& d, Name name) : d_(d), name_(name) {
    std::string trap;
    machine_ = std::make_unique<WabtMachine>(
        *d.code, [this](uint32_t import, const uint64_t* args, uint64_t* result) { return host(import, args, result); },
        &trap);
    if (!trap.empty()) throw_instantiation_trap(name, trap_code(trap));
    if (machine_->has_memory()) {
      initial_memory_.assign(machine_->memory(), machine_->memory() + machine_->memory_bytes());
      context_.memory = &memory_view_;
    }
    init_handles(context_);
    context_.dirty = &host_dirty_;
    context_.dirty_shift = d.dirty_shift;
  }

  Name apply(const Invocation& invocation, uint64_t fuel_budget) {
    if (d_.facts.is_program) throw_not_a_procedure(name_);
    begin(invocation.store, invocation.limits, fuel_budget);
    set_encode_handle(context_, invocation);
    const uint32_t result = call(FIXNET_APPLY_EXPORT, {0});
    if (result >= context_.env.count) throw_invalid_result(name_, result, context_.env.count);
    return handle_name(context_, result);
  }

  uint32_t run(ObjectStore& store, const Limits& limits, SystemCalls& system) {
    if (!d_.facts.is_program) throw_not_a_program(name_);
    begin(store, limits, UINT64_MAX);
    context_.system = &system;
    context_.exit_code = 0;
    call(FIXNET_START_EXPORT, {});
    return exited_ ? context_.exit_code : 0;
  }

  // Back to the state right after instantiation; false if that cannot be done (the memory grew or
  // the table may have been written: wabt's interpreter shrinks neither), so the instance must go.
  bool reset() {
    end_invocation(context_);
    context_.system = nullptr;
    context_.failure = nullptr;
    exited_ = false;
    if (d_.facts.may_write_table) return false;
    if (machine_->has_memory()) {
      if (machine_->memory_bytes() != initial_memory_.size()) return false;
      const uint64_t dirty = machine_->global(d_.checks.dirty_global) | host_dirty_;
      uint8_t* data = machine_->memory();
      if (dirty == ~uint64_t{0})
        std::copy(initial_memory_.begin(), initial_memory_.end(), data);
      else
        for_each_dirty_range(dirty, d_.dirty_shift, initial_memory_.size(), [&](uint64_t begin, uint64_t end) {
          std::memcpy(data + begin, initial_memory_.data() + begin, end - begin);
        });
    }
    host_dirty_ = 0;
    machine_->reset_to_instantiation();
    return true;
  }

 private:
  void begin(ObjectStore& store, const Limits& limits, uint64_t fuel_budget) {
    begin_invocation(context_, store, limits);
    check_initial_memory(name_, d_.initial_memory_bytes, context_.limits.memory_bytes);
    fuel_given_ = std::min(context_.limits.fuel, fuel_budget);
    machine_->set_global(d_.checks.fuel_global, fuel_given_);
    machine_->set_global(d_.checks.memory_limit_global,
                         std::min<uint64_t>(context_.limits.memory_bytes / kPageBytes, kMaxMemoryPages));
  }

  // Runs export `entry`; returns its i32 result (0 for none). A trap throws as the compiled code's
  // would; proc_exit returns with exited_ set.
  uint32_t call(const std::string& entry, const std::vector<uint32_t>& args) {
    const WabtMachine::Outcome out = machine_->call(entry, args);
    if (out.kind == WabtMachine::Outcome::Kind::Returned) return out.result;
    if (exited_) return 0;
    uint32_t code = FIXNET_TRAP_HOST;
    if (out.kind == WabtMachine::Outcome::Kind::Trapped)
      code = machine_->global(d_.checks.depth_global) > kMaxCallDepth ? uint32_t{WASM_RT_TRAP_EXHAUSTION}
                                                                        : trap_code(out.trap);
    const auto fuel = static_cast<int64_t>(machine_->global(d_.checks.fuel_global));
    if (code == WASM_RT_TRAP_UNREACHABLE && fuel < 0 && fuel_given_ < context_.limits.fuel)
      throw InterpreterBudgetExhausted{};
    throw_trap_error(name_, code, fuel, context_.limits.fuel, std::move(context_.failure));
  }

  // An import: the guest API or WASI, with the guest's memory as it is now (it may have grown).
  bool host(uint32_t import, const uint64_t* args, uint64_t* result) {
    if (machine_->has_memory()) {
      memory_view_.data = machine_->memory();
      memory_view_.size = static_cast<uint32_t>(machine_->memory_bytes());
      memory_view_.pages = static_cast<uint32_t>(machine_->memory_bytes() / kPageBytes);
    }
    const HostCall call = d_.imports[import];
    try {
      if (call.wasi) {
        bool exited = false;
        *result = call_wasi(context_, call.index, args, &exited);
        if (exited) {
          exited_ = true;
          return false;
        }
      } else {
        *result = call_guest_api(context_, call.index, args);
      }
      return true;
    } catch (...) {
      context_.failure = std::current_exception();
      return false;
    }
  }

  const Description& d_;
  Name name_;
  std::unique_ptr<WabtMachine> machine_;
  std::vector<uint8_t> initial_memory_;
  HostContext context_;
  wasm_rt_memory_t memory_view_{};
  uint64_t host_dirty_ = 0;  // chunks host functions wrote (blob_read)
  uint64_t fuel_given_ = 0;  // the call's fuel: its limit, or less (a budget)
  bool exited_ = false;
};

InterpretedModule::InterpretedModule(std::string_view bytes, Name name)
    : name_(name), description_(std::make_unique<Description>()) {
  Description& d = *description_;
  InstrumentedModule m = check_and_instrument(bytes);
  wabt::Module& module = *m.checked.module;
  d.facts = m.checked.facts;
  d.dirty_shift = m.instrumented.dirty_shift;
  d.initial_memory_bytes = module.memories.empty() ? 0 : module.memories[0]->page_limits.initial * kPageBytes;
  d.checks = add_interpreter_checks(module);
  const std::vector<uint8_t> binary = binary_of(module);
  m.checked.module.reset();
  std::string error;
  d.code = WabtCode::read(binary.data(), binary.size(), &error);
  if (!d.code)
    throw ProcedureError(fmt::format("the interpreter could not read the instrumented module ({}); please report it", error));
  for (const WabtCode::Import& import : d.code->imports()) d.imports.push_back(host_call_of(import));
}

InterpretedModule::~InterpretedModule() = default;

bool InterpretedModule::is_program() const { return description_->facts.is_program; }

std::unique_ptr<InterpretedModule::Interpreter> InterpretedModule::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      auto interpreter = std::move(free_.back());
      free_.pop_back();
      return interpreter;
    }
  }
  return std::make_unique<Interpreter>(*description_, name_);
}

void InterpretedModule::release(std::unique_ptr<Interpreter> interpreter) {
  if (!interpreter->reset()) return;
  std::lock_guard lock(mutex_);
  free_.push_back(std::move(interpreter));
}

// Runs f with an interpreter taken from the pool for the call, reset and given back when it ends.
template <class F>
auto InterpretedModule::leased(F&& f) {
  struct Lease {
    InterpretedModule* module;
    std::unique_ptr<Interpreter> interpreter;
    ~Lease() { module->release(std::move(interpreter)); }
  } lease{this, acquire()};
  return f(*lease.interpreter);
}

Name InterpretedModule::apply(const Invocation& invocation, uint64_t fuel_budget) {
  return leased([&](Interpreter& interpreter) { return interpreter.apply(invocation, fuel_budget); });
}

uint32_t InterpretedModule::run(ObjectStore& store, const Limits& limits, SystemCalls& system) {
  return leased([&](Interpreter& interpreter) { return interpreter.run(store, limits, system); });
}

}  // namespace fixnet::wasm
