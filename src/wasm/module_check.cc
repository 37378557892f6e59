#include "wasm/module_check.h"

#include <fmt/format.h>
#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader-nop.h>
#include <wabt/binary-reader.h>
#include <wabt/cast.h>
#include <wabt/error-formatter.h>
#include <wabt/ir.h>
#include <wabt/validator.h>

#include "core/error.h"
#include "fixnet_abi.h"
#include "wasm/guest_api.h"
#include "wasm/sandbox_limits.h"
#include "wasm/wabt_features.h"

namespace fixnet::wasm {
namespace {

[[noreturn]] void reject(std::string_view why) {
  throw ProcedureError(fmt::format("invalid procedure module: {}", why));
}

// A name from the module, for a message: quoted, control bytes escaped (a message is one line of
// text, and the name is the module author's choice), long names cut.
std::string quoted(std::string_view name) {
  constexpr size_t kMaxShown = 64;
  std::string out = "\"";
  for (size_t i = 0; i < name.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  return out + (name.size() > kMaxShown ? "\"…" : "\"");
}

// wabt's errors, first one only and on one line: enough to say what is wrong.
std::string first_error(const wabt::Errors& errors) {
  if (errors.empty()) return "unknown error";
  std::string text = errors.front().message;
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  if (errors.front().loc.offset != wabt::kInvalidOffset)
    return fmt::format("{} (at byte {})", text, errors.front().loc.offset);
  return text;
}

char type_letter(wabt::Type type) {
  if (type == wabt::Type::I32) return 'i';
  if (type == wabt::Type::I64) return 'I';
  if (type == wabt::Type::F32) return 'f';
  if (type == wabt::Type::F64) return 'F';
  return '?';
}

std::string letters(const wabt::TypeVector& types) {
  std::string out;
  for (wabt::Type t : types) out += type_letter(t);
  return out;
}

const wabt::FuncSignature& signature_of(const wabt::Module& module, const wabt::FuncDeclaration& decl) {
  if (decl.has_func_type)
    if (const wabt::FuncType* type = module.GetFuncType(decl.type_var)) return type->sig;
  return decl.sig;
}

// Whether the module is a Flatware program (exports "_start" and no "_fixnet_apply").
bool exports_start_only(const wabt::Module& module) {
  bool start = false;
  for (const wabt::Export* e : module.exports) {
    if (e->name == FIXNET_APPLY_EXPORT) return false;
    if (e->name == FIXNET_START_EXPORT) start = true;
  }
  return start;
}

void check_imports(const wabt::Module& module, ModuleFacts& facts) {
  const std::string_view allowed = facts.is_program ? kWasiModule : kGuestModule;
  const char* what = facts.is_program ? "Flatware programs may import only WASI preview 1"
                                      : "procedures may import only the guest API";
  const char* api_name = facts.is_program ? "WASI preview 1" : "the guest API";
  for (const wabt::Import* import : module.imports) {
    if (import->module_name != allowed)
      reject(fmt::format("imports {} {}: {} (module \"{}\")", quoted(import->module_name),
                         quoted(import->field_name), what, allowed));
    if (import->kind() != wabt::ExternalKind::Func)
      reject(fmt::format("imports {} {} as a {}: {} has only functions", quoted(import->module_name),
                         quoted(import->field_name), wabt::GetKindName(import->kind()), api_name));
    const GuestFunction* api =
        facts.is_program ? find_wasi_function(import->field_name) : find_guest_function(import->field_name);
    if (!api)
      reject(fmt::format("imports \"{}\" {}, which is not in {}", allowed, quoted(import->field_name), api_name));
    const auto* func = wabt::cast<wabt::FuncImport>(import);
    const wabt::FuncSignature& sig = signature_of(module, func->func.decl);
    if (letters(sig.param_types) != api->params || letters(sig.result_types) != api->results)
      reject(fmt::format("imports \"{}\" \"{}\" with params \"{}\" results \"{}\"; {} has params \"{}\" "
                         "results \"{}\" (i = i32, I = i64)",
                         allowed, api->name, letters(sig.param_types), letters(sig.result_types), api_name, api->params,
                         api->results));
    (facts.is_program ? facts.imports_wasi : facts.imports_fixnet) = true;
  }
}

// The entry point: "_fixnet_apply" (i32) -> i32 for a procedure, "_start" () -> () for a program.
void check_exports(const wabt::Module& module, const ModuleFacts& facts) {
  const char* entry = facts.is_program ? FIXNET_START_EXPORT : FIXNET_APPLY_EXPORT;
  const char* params = facts.is_program ? "" : "i";
  bool found = false;
  for (const wabt::Export* e : module.exports) {
    if (e->name.starts_with("__fixnet_"))
      reject(fmt::format("exports {}: names under \"__fixnet_\" are reserved", quoted(e->name)));
    if (e->name != entry) continue;
    if (e->kind != wabt::ExternalKind::Func) reject(fmt::format("exports \"{}\" but not as a function", entry));
    const wabt::Func* func = module.GetFunc(e->var);
    const wabt::FuncSignature& sig = signature_of(module, func->decl);
    if (letters(sig.param_types) != params || letters(sig.result_types) != params)
      reject(facts.is_program
                 ? fmt::format("\"{}\" must take no parameters and return nothing", entry)
                 : fmt::format("\"{}\" must take one i32 (the encode handle) and return one i32 (the result "
                               "handle)",
                               entry));
    found = true;
  }
  if (!found)
    reject(fmt::format("exports no \"{}\" function (a procedure's entry point) and no \"{}\" (a Flatware "
                       "program's)",
                       FIXNET_APPLY_EXPORT, FIXNET_START_EXPORT));
}

void check_sizes(const wabt::Module& module) {
  if (!module.starts.empty())
    reject("has a start function; procedures may not run code at instantiation (it would escape the limits)");
  if (module.memories.size() > 1)
    reject(fmt::format("declares {} memories; at most 1 is allowed", module.memories.size()));
  for (const wabt::Memory* memory : module.memories) {
    if (memory->page_limits.initial > kMaxMemoryPages)
      reject(fmt::format("needs {} memory pages initially; at most {} are allowed",
                         memory->page_limits.initial, kMaxMemoryPages));
    if (memory->page_limits.is_shared || memory->page_limits.is_64)
      reject("declares a shared or 64-bit memory");
  }
  if (module.tables.size() > 1)
    reject(fmt::format("declares {} tables; at most 1 is allowed", module.tables.size()));
  for (const wabt::Table* table : module.tables)
    if (table->elem_limits.initial > kMaxTableElements)
      reject(fmt::format("declares a table of {} elements; at most {} are allowed",
                         table->elem_limits.initial, kMaxTableElements));
  for (const wabt::TypeEntry* type : module.types)
    if (const auto* func_type = wabt::dyn_cast<wabt::FuncType>(type))
      if (func_type->sig.param_types.size() + func_type->sig.result_types.size() > kMaxSignatureTypes)
        reject(fmt::format("has a function type with more than {} params and results", kMaxSignatureTypes));
  for (const wabt::Func* func : module.funcs)
    if (func->GetNumParamsAndLocals() > kMaxLocals)
      reject(fmt::format("has a function with {} params and locals; at most {} are allowed",
                         func->GetNumParamsAndLocals(), kMaxLocals));
}

// Whether instructions could change the table: a pooled instance restores it only then.
void scan(const wabt::ExprList& exprs, ModuleFacts& facts) {
  using wabt::ExprType;
  for (const wabt::Expr& expr : exprs) {
    switch (expr.type()) {
      case ExprType::TableInit:
      case ExprType::TableCopy:
      case ExprType::TableSet:
      case ExprType::TableFill:
      case ExprType::TableGrow:
      case ExprType::ElemDrop:
        facts.may_write_table = true;
        break;
      case ExprType::Block:
        scan(wabt::cast<wabt::BlockExpr>(&expr)->block.exprs, facts);
        break;
      case ExprType::Loop:
        scan(wabt::cast<wabt::LoopExpr>(&expr)->block.exprs, facts);
        break;
      case ExprType::If: {
        const auto& if_expr = *wabt::cast<wabt::IfExpr>(&expr);
        scan(if_expr.true_.exprs, facts);
        scan(if_expr.false_, facts);
        break;
      }
      default:
        break;
    }
  }
}

// A first pass over the raw bytes, before wabt builds its IR, for shapes the IR builder of wabt
// 1.0.32 does not survive: nesting so deep that its recursive walks (and this file's, and the C
// writer's) overflow the stack; instructions after a function's final `end`, and blocks inside a
// constant expression (it asserts, or indexes an empty label stack). All are invalid or absurd, so
// refusing them loses nothing. Found by fuzz/wasm_inspect_fuzz.cc.
class StructurePrepass : public wabt::BinaryReaderNop {
 public:
  enum class Problem { None, Nesting, CodeAfterEnd, ControlInConstant } problem = Problem::None;

  // Errors are the full read's to report; this pass only looks for its two problems (quietly).
  bool OnError(const wabt::Error&) override { return true; }
  wabt::Result BeginFunctionBody(wabt::Index, wabt::Offset) override {
    in_body_ = true;
    depth_ = 0;
    ended_ = false;
    return wabt::Result::Ok;
  }
  wabt::Result EndFunctionBody(wabt::Index) override {
    in_body_ = false;  // constant expressions (global and segment initializers) follow their own rules
    return wabt::Result::Ok;
  }
  wabt::Result OnOpcode(wabt::Opcode) override {
    if (in_body_ && ended_) return fail(Problem::CodeAfterEnd);
    return wabt::Result::Ok;
  }
  wabt::Result OnBlockExpr(wabt::Type) override { return enter(); }
  wabt::Result OnLoopExpr(wabt::Type) override { return enter(); }
  wabt::Result OnIfExpr(wabt::Type) override { return enter(); }
  wabt::Result OnTryExpr(wabt::Type) override { return enter(); }
  wabt::Result OnElseExpr() override {
    if (!in_body_) return fail(Problem::ControlInConstant);
    return wabt::Result::Ok;
  }
  wabt::Result OnEndExpr() override {
    if (!in_body_) return wabt::Result::Ok;
    if (depth_ == 0)
      ended_ = true;  // the function's own end
    else
      --depth_;
    return wabt::Result::Ok;
  }

 private:
  wabt::Result enter() {
    if (!in_body_) return fail(Problem::ControlInConstant);
    if (++depth_ > kMaxNesting) return fail(Problem::Nesting);
    return wabt::Result::Ok;
  }
  wabt::Result fail(Problem p) {
    problem = p;
    return wabt::Result::Error;
  }
  bool in_body_ = false;
  uint32_t depth_ = 0;
  bool ended_ = false;
};

}  // namespace

CheckedModule::CheckedModule() = default;
CheckedModule::CheckedModule(CheckedModule&&) noexcept = default;
CheckedModule& CheckedModule::operator=(CheckedModule&&) noexcept = default;
CheckedModule::~CheckedModule() = default;

CheckedModule check_module(std::string_view bytes) {
  CheckedModule out;
  out.module = std::make_unique<wabt::Module>();
  wabt::Errors errors;
  const wabt::Features features = toolchain_features();
  // No debug names (the guest's name section never reaches the C), stop at the first error.
  wabt::ReadBinaryOptions options(features, nullptr, false, true, true);
  StructurePrepass prepass;
  if (wabt::Failed(wabt::ReadBinary(bytes.data(), bytes.size(), &prepass, options))) {
    if (prepass.problem == StructurePrepass::Problem::Nesting)
      reject(fmt::format("nests blocks deeper than {}", kMaxNesting));
    if (prepass.problem == StructurePrepass::Problem::CodeAfterEnd)
      reject("has instructions after the end of a function body");
    if (prepass.problem == StructurePrepass::Problem::ControlInConstant)
      reject("has a block, loop or if in a constant expression");
  }
  if (wabt::Failed(
          wabt::ReadBinaryIr("procedure", bytes.data(), bytes.size(), options, &errors, out.module.get())))
    reject(first_error(errors));
  if (wabt::Failed(wabt::ValidateModule(out.module.get(), &errors, wabt::ValidateOptions(features))))
    reject(first_error(errors));
  out.facts.is_program = exports_start_only(*out.module);
  check_imports(*out.module, out.facts);
  check_exports(*out.module, out.facts);
  check_sizes(*out.module);
  for (const wabt::Func* func : out.module->funcs) scan(func->exprs, out.facts);
  return out;
}

}  // namespace fixnet::wasm
