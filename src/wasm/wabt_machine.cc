// C++17: see wabt_machine.h.
#include "wasm/wabt_machine.h"

#include <wabt/binary-reader.h>
#include <wabt/interp/binary-reader-interp.h>
#include <wabt/interp/interp.h>

#include "wasm/wabt_features.h"

namespace fixnet::wasm {

namespace wi = wabt::interp;

struct WabtCode::Description {
  wi::ModuleDesc desc;
};

WabtCode::WabtCode() : description_(std::make_unique<Description>()) {}
WabtCode::~WabtCode() = default;

std::unique_ptr<WabtCode> WabtCode::read(const uint8_t* data, size_t size, std::string* error) {
  std::unique_ptr<WabtCode> code(new WabtCode());
  wabt::Errors errors;
  const wabt::ReadBinaryOptions options(toolchain_features(), nullptr, false, true, true);
  if (wabt::Failed(wi::ReadBinaryInterp("module", data, size, options, &errors, &code->description_->desc))) {
    *error = errors.empty() ? "no detail" : errors.front().message;
    return nullptr;
  }
  for (const wi::ImportDesc& import : code->description_->desc.imports) {
    Import out;
    out.module = import.type.module;
    out.name = import.type.name;
    if (const auto* f = wabt::dyn_cast<wi::FuncType>(import.type.type.get())) {
      for (wabt::Type t : f->params) out.param_is_i64.push_back(t == wabt::Type::I64);
      out.has_result = !f->results.empty();
      out.result_is_i64 = out.has_result && f->results[0] == wabt::Type::I64;
    }
    code->imports_.push_back(std::move(out));
  }
  return code;
}

struct WabtMachine::State {
  explicit State(const WabtCode& code) : code(code), store(toolchain_features()) {}

  const WabtCode& code;
  wi::Store store;
  wi::Module::Ptr module;
  wi::Instance::Ptr instance;
  wi::Memory::Ptr memory;
  std::vector<wi::Global::Ptr> globals;
  std::vector<wi::Value> initial_globals;
  std::vector<wi::DataSegment> datas;
  std::vector<wi::ElemSegment> elems;
  Host host;
  bool host_failed = false;  // in the call under way
  bool trapped = false;
};

WabtMachine::WabtMachine(const WabtCode& code, Host host, std::string* trap)
    : s_(std::make_unique<State>(code)) {
  s_->host = std::move(host);
  const wi::ModuleDesc& desc = code.description().desc;
  wi::RefVec imports;
  for (size_t i = 0; i < desc.imports.size(); ++i) {
    const auto& type = *wabt::cast<wi::FuncType>(desc.imports[i].type.type.get());
    const WabtCode::Import& import = code.imports()[i];
    State* s = s_.get();
    auto f = wi::HostFunc::New(s->store, type,
                               [s, &import, index = static_cast<uint32_t>(i)](
                                   wi::Thread&, const wi::Values& params, wi::Values& results,
                                   wi::Trap::Ptr* out_trap) {
                                 uint64_t args[16] = {};
                                 for (size_t k = 0; k < params.size() && k < 16; ++k)
                                   args[k] = import.param_is_i64[k] ? params[k].Get<uint64_t>()
                                                                    : params[k].Get<uint32_t>();
                                 uint64_t result = 0;
                                 if (!s->host(index, args, &result)) {
                                   s->host_failed = true;
                                   *out_trap = wi::Trap::New(s->store, "host function failed");
                                   return wabt::Result::Error;
                                 }
                                 if (import.has_result)
                                   results[0] = import.result_is_i64 ? wi::Value::Make(result)
                                                                     : wi::Value::Make(static_cast<uint32_t>(result));
                                 return wabt::Result::Ok;
                               });
    imports.push_back(f.ref());
  }
  s_->module = wi::Module::New(s_->store, desc);
  wi::Trap::Ptr out_trap;
  s_->instance = wi::Instance::Instantiate(s_->store, s_->module.ref(), imports, &out_trap);
  if (!s_->instance) {
    *trap = out_trap ? out_trap->message() : "instantiation failed";
    return;
  }
  for (wi::Ref global : s_->instance->globals()) {
    s_->globals.emplace_back(s_->store, global);
    s_->initial_globals.push_back(s_->globals.back()->Get());
  }
  if (!s_->instance->memories().empty()) s_->memory = wi::Memory::Ptr(s_->store, s_->instance->memories()[0]);
  s_->datas = s_->instance->datas();
  s_->elems = s_->instance->elems();
}

WabtMachine::~WabtMachine() = default;

WabtMachine::Outcome WabtMachine::call(const std::string& name, const std::vector<uint32_t>& args) {
  const wi::ModuleDesc& desc = s_->code.description().desc;
  wi::Func::Ptr function;
  for (size_t i = 0; i < desc.exports.size(); ++i)
    if (desc.exports[i].type.name == name) function = wi::Func::Ptr(s_->store, s_->instance->exports()[i]);
  Outcome out;
  if (!function) {
    out.kind = Outcome::Kind::Trapped;
    out.trap = "no exported function " + name;
    return out;
  }
  wi::Values params, results;
  for (uint32_t a : args) params.push_back(wi::Value::Make(a));
  wi::Thread thread(s_->store);
  wi::Trap::Ptr trap;
  s_->host_failed = false;
  if (wabt::Succeeded(function->Call(thread, params, results, &trap))) {
    if (!results.empty()) out.result = results[0].Get<uint32_t>();
    return out;
  }
  s_->trapped = true;
  // A host function's failure is the host's to explain; anything else is the interpreter's trap.
  out.kind = s_->host_failed ? Outcome::Kind::Stopped : Outcome::Kind::Trapped;
  if (trap) out.trap = trap->message();
  return out;
}

uint64_t WabtMachine::global(uint32_t index) const {
  const wi::Global& g = *s_->globals[index];
  return g.type().type == wabt::Type::I64 ? g.UnsafeGet<uint64_t>() : g.UnsafeGet<uint32_t>();
}

void WabtMachine::set_global(uint32_t index, uint64_t value) {
  wi::Global& g = *s_->globals[index];
  g.UnsafeSet(g.type().type == wabt::Type::I64 ? wi::Value::Make(value)
                                              : wi::Value::Make(static_cast<uint32_t>(value)));
}

bool WabtMachine::has_memory() const { return static_cast<bool>(s_->memory); }
uint8_t* WabtMachine::memory() { return s_->memory ? s_->memory->UnsafeData() : nullptr; }
uint64_t WabtMachine::memory_bytes() const { return s_->memory ? s_->memory->ByteSize() : 0; }

void WabtMachine::reset_to_instantiation() {
  for (size_t i = 0; i < s_->globals.size(); ++i) s_->globals[i]->UnsafeSet(s_->initial_globals[i]);
  s_->instance->datas() = s_->datas;  // data.drop and elem.drop undone
  s_->instance->elems() = s_->elems;
  if (s_->trapped) {  // a trap is an object in the Store, kept until collected
    s_->store.Collect();
    s_->trapped = false;
  }
}

}  // namespace fixnet::wasm
