#include "wasm/instrument.h"

#include <fmt/format.h>
#include <wabt/error-formatter.h>
#include <wabt/cast.h>
#include <wabt/ir.h>
#include <wabt/validator.h>

#include <algorithm>

#include "core/error.h"
#include "fixnet_abi.h"
#include "wasm/wabt_features.h"

namespace fixnet::wasm {
namespace {

using wabt::ExprType;

// Instructions executed from the start of `exprs` until the next loop header: nested blocks and ifs
// count with their contents (an upper bound for the branch not taken), a nested loop counts 1 (its
// body is charged at its own header).
uint64_t straight_line_cost(const wabt::ExprList& exprs) {
  uint64_t cost = 0;
  for (const wabt::Expr& expr : exprs) {
    cost += 1;
    if (expr.type() == ExprType::Block) {
      cost += straight_line_cost(wabt::cast<wabt::BlockExpr>(&expr)->block.exprs);
    } else if (expr.type() == ExprType::If) {
      const auto* if_expr = wabt::cast<wabt::IfExpr>(&expr);
      cost += straight_line_cost(if_expr->true_.exprs) + straight_line_cost(if_expr->false_);
    }
  }
  return cost;
}

class Instrumenter {
 public:
  explicit Instrumenter(wabt::Index fuel_global) : fuel_(fuel_global) {}

  void function(wabt::Func& func) { walk_and_charge(func.exprs); }

 private:
  // fuel -= cost; if (fuel < 0) unreachable;  — stack-neutral, so valid at any loop header.
  void charge(wabt::ExprList& exprs, uint64_t cost) {
    wabt::ExprList check;
    check.push_back(std::make_unique<wabt::GlobalGetExpr>(var(fuel_)));
    check.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I64(cost)));
    check.push_back(std::make_unique<wabt::BinaryExpr>(wabt::Opcode::I64Sub));
    check.push_back(std::make_unique<wabt::GlobalSetExpr>(var(fuel_)));
    check.push_back(std::make_unique<wabt::GlobalGetExpr>(var(fuel_)));
    check.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I64(0)));
    check.push_back(std::make_unique<wabt::CompareExpr>(wabt::Opcode::I64LtS));
    auto trap = std::make_unique<wabt::IfExpr>();
    trap->true_.exprs.push_back(std::make_unique<wabt::UnreachableExpr>());
    check.push_back(std::move(trap));
    exprs.splice(exprs.begin(), check);
  }

  void walk_and_charge(wabt::ExprList& exprs) {
    walk(exprs);
    charge(exprs, std::max<uint64_t>(1, straight_line_cost(exprs)));
  }

  void walk(wabt::ExprList& exprs) {
    for (wabt::Expr& expr : exprs) {
      switch (expr.type()) {
        case ExprType::Block:
          walk(wabt::cast<wabt::BlockExpr>(&expr)->block.exprs);
          break;
        case ExprType::Loop:
          walk_and_charge(wabt::cast<wabt::LoopExpr>(&expr)->block.exprs);
          break;
        case ExprType::If: {
          auto* if_expr = wabt::cast<wabt::IfExpr>(&expr);
          walk(if_expr->true_.exprs);
          walk(if_expr->false_);
          break;
        }
        default:
          break;
      }
    }
  }

  static wabt::Var var(wabt::Index index) { return wabt::Var(index, wabt::Location()); }

  wabt::Index fuel_;
};

wabt::Index add_exported_global(wabt::Module& module, wabt::Type type, const char* export_name) {
  const wabt::Index index = static_cast<wabt::Index>(module.globals.size());
  auto global = std::make_unique<wabt::GlobalModuleField>();
  global->global.type = type;
  global->global.mutable_ = true;
  global->global.init_expr.push_back(std::make_unique<wabt::ConstExpr>(
      type == wabt::Type::I64 ? wabt::Const::I64(0) : wabt::Const::I32(0)));
  module.AppendField(std::move(global));
  auto exported = std::make_unique<wabt::ExportModuleField>();
  exported->export_.name = export_name;
  exported->export_.kind = wabt::ExternalKind::Global;
  exported->export_.var = wabt::Var(index, wabt::Location());
  module.AppendField(std::move(exported));
  return index;
}

}  // namespace

void instrument(wabt::Module& module) {
  const wabt::Index fuel = add_exported_global(module, wabt::Type::I64, FIXNET_FUEL_EXPORT);
  add_exported_global(module, wabt::Type::I32, FIXNET_DEPTH_EXPORT);
  Instrumenter instrumenter(fuel);
  // module.funcs starts with the imported functions, which have no body here.
  for (wabt::Index i = module.num_func_imports; i < module.funcs.size(); ++i)
    instrumenter.function(*module.funcs[i]);

  wabt::Errors errors;
  if (wabt::Failed(wabt::ValidateModule(&module, &errors, wabt::ValidateOptions(toolchain_features()))))
    throw ProcedureError(fmt::format("fixnet's fuel instrumentation produced an invalid module ({}); "
                                     "please report this module",
                                     errors.empty() ? "no detail" : errors.front().message));
}

}  // namespace fixnet::wasm
