#include "wasm/interpreter_checks.h"

#include <fmt/format.h>
#include <wabt/validator.h>

#include <optional>

#include "core/error.h"
#include "fixnet_abi.h"
#include "wasm/ir_walk.h"
#include "wasm/sandbox_limits.h"
#include "wasm/wabt_features.h"

namespace fixnet::wasm {
namespace {

using wabt::ExprType;
using wabt::Opcode;

wabt::Index exported_global(const wabt::Module& module, const char* name) {
  for (const wabt::Export* e : module.exports)
    if (e->kind == wabt::ExternalKind::Global && e->name == name) return module.GetGlobalIndex(e->var);
  throw ProcedureError(fmt::format("fixnet's instrumentation left no {} global; please report this module", name));
}

wabt::Index add_global(wabt::Module& module) {
  const wabt::Index index = static_cast<wabt::Index>(module.globals.size());
  auto global = std::make_unique<wabt::GlobalModuleField>();
  global->global.type = wabt::Type::I64;
  global->global.mutable_ = true;
  global->global.init_expr.push_back(make<wabt::ConstExpr>(wabt::Const::I64(0)));
  module.AppendField(std::move(global));
  return index;
}

// A block type with the function's results (a type of its own when there are several: the binary
// format names those by index).
wabt::BlockDeclaration results_block(wabt::Module& module, const wabt::Func& func) {
  wabt::BlockDeclaration decl;
  decl.sig.result_types = func.decl.sig.result_types;
  if (decl.sig.GetNumResults() > 1 && module.GetFuncTypeIndex(decl.sig) == wabt::kInvalidIndex) {
    auto type = std::make_unique<wabt::FuncType>();
    type->sig = decl.sig;
    auto field = std::make_unique<wabt::TypeModuleField>();
    field->type = std::move(type);
    module.AppendField(std::move(field));
  }
  return decl;
}

void count_depth(wabt::Module& module, wabt::Func& func, wabt::Index depth) {
  // Inside the block that wraps the body, `return` at nesting n is a branch to that block: `br n`.
  for_each_list(func.exprs, [](wabt::ExprList& exprs, uint32_t nesting) {
    for (auto it = exprs.begin(); it != exprs.end(); ++it) {
      if (it->type() != ExprType::Return) continue;
      it = exprs.insert(it, make<wabt::BrExpr>(var(nesting)));
      exprs.erase(std::next(it));
    }
  });
  auto body = std::make_unique<wabt::BlockExpr>();
  body->block.decl = results_block(module, func);
  body->block.exprs = std::move(func.exprs);
  wabt::ExprList& out = func.exprs;
  out.clear();
  // depth += 1; if (depth > limit) unreachable;  — before the fuel charge, as the C prologue is.
  out.push_back(make<wabt::GlobalGetExpr>(var(depth)));
  out.push_back(make<wabt::ConstExpr>(wabt::Const::I32(1)));
  out.push_back(make<wabt::BinaryExpr>(Opcode::I32Add));
  out.push_back(make<wabt::GlobalSetExpr>(var(depth)));
  out.push_back(make<wabt::GlobalGetExpr>(var(depth)));
  out.push_back(make<wabt::ConstExpr>(wabt::Const::I32(kMaxCallDepth)));
  out.push_back(make<wabt::CompareExpr>(Opcode::I32GtU));
  auto trap = std::make_unique<wabt::IfExpr>();
  trap->true_.exprs.push_back(make<wabt::UnreachableExpr>());
  out.push_back(std::move(trap));
  out.push_back(std::move(body));
  // depth -= 1 (stack-neutral: the results stay below)
  out.push_back(make<wabt::GlobalGetExpr>(var(depth)));
  out.push_back(make<wabt::ConstExpr>(wabt::Const::I32(1)));
  out.push_back(make<wabt::BinaryExpr>(Opcode::I32Sub));
  out.push_back(make<wabt::GlobalSetExpr>(var(depth)));
}

// [delta] memory.grow  →  [delta] local.tee d; (size + d > limit) ? -1 : memory.grow(d)
void limit_memory_growth(wabt::Func& func, wabt::Index limit) {
  std::optional<wabt::Index> delta;
  for_each_list(func.exprs, [&](wabt::ExprList& exprs, uint32_t) {
    for (auto it = exprs.begin(); it != exprs.end(); ++it) {
      if (it->type() != ExprType::MemoryGrow) continue;
      if (!delta) {
        delta = func.GetNumParamsAndLocals();
        func.local_types.AppendDecl(wabt::Type::I32, 1);
      }
      const wabt::Var memory = wabt::cast<wabt::MemoryGrowExpr>(&*it)->memidx;
      exprs.insert(it, make<wabt::LocalTeeExpr>(var(*delta)));
      exprs.insert(it, make<wabt::ConvertExpr>(Opcode::I64ExtendI32U));
      exprs.insert(it, make<wabt::MemorySizeExpr>(memory));
      exprs.insert(it, make<wabt::ConvertExpr>(Opcode::I64ExtendI32U));
      exprs.insert(it, make<wabt::BinaryExpr>(Opcode::I64Add));
      exprs.insert(it, make<wabt::GlobalGetExpr>(var(limit)));
      exprs.insert(it, make<wabt::CompareExpr>(Opcode::I64GtU));
      auto grow = std::make_unique<wabt::IfExpr>();
      grow->true_.decl.sig.result_types = {wabt::Type::I32};
      grow->true_.exprs.push_back(make<wabt::ConstExpr>(wabt::Const::I32(UINT32_MAX)));
      grow->false_.push_back(make<wabt::LocalGetExpr>(var(*delta)));
      const auto next = std::next(it);
      grow->false_.push_back(exprs.extract(it));  // the original memory.grow
      it = exprs.insert(next, std::move(grow));
    }
  });
}

}  // namespace

InterpreterChecks add_interpreter_checks(wabt::Module& module) {
  const InterpreterChecks out{exported_global(module, FIXNET_FUEL_EXPORT), exported_global(module, FIXNET_DIRTY_EXPORT),
                              exported_global(module, FIXNET_DEPTH_EXPORT), add_global(module)};
  for (wabt::Index i = module.num_func_imports; i < module.funcs.size(); ++i) {
    limit_memory_growth(*module.funcs[i], out.memory_limit_global);
    count_depth(module, *module.funcs[i], out.depth_global);
  }
  wabt::Errors errors;
  if (wabt::Failed(wabt::ValidateModule(&module, &errors, wabt::ValidateOptions(toolchain_features()))))
    throw ProcedureError(fmt::format("fixnet's interpreter checks produced an invalid module ({}); please report "
                                     "this module",
                                     errors.empty() ? "no detail" : errors.front().message));
  return out;
}

}  // namespace fixnet::wasm
