#include "wasm/instrument.h"

#include <fmt/format.h>
#include <wabt/cast.h>
#include <wabt/error-formatter.h>
#include <wabt/ir.h>
#include <wabt/validator.h>

#include <algorithm>
#include <map>
#include <optional>

#include "core/error.h"
#include "fixnet_abi.h"
#include "wasm/ir_walk.h"
#include "wasm/sandbox_limits.h"
#include "wasm/wabt_features.h"

namespace fixnet::wasm {
namespace {

using wabt::ExprType;

// The module's own instructions executed from the start of `exprs` until the next loop header: nested
// blocks and ifs count with their contents (an upper bound for the branch not taken), a nested loop
// counts 1 (its body is charged at its own header).
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

class FuelCharger {
 public:
  explicit FuelCharger(wabt::Index fuel) : fuel_(fuel) {}

  void function(wabt::Func& func) { walk_and_charge(func.exprs); }

 private:
  // fuel -= cost; if (fuel < 0) unreachable;  — stack-neutral, so valid at any loop header.
  void charge(wabt::ExprList& exprs, uint64_t cost) {
    wabt::ExprList check;
    check.push_back(make<wabt::GlobalGetExpr>(var(fuel_)));
    check.push_back(make<wabt::ConstExpr>(wabt::Const::I64(cost)));
    check.push_back(make<wabt::BinaryExpr>(wabt::Opcode::I64Sub));
    check.push_back(make<wabt::GlobalSetExpr>(var(fuel_)));
    check.push_back(make<wabt::GlobalGetExpr>(var(fuel_)));
    check.push_back(make<wabt::ConstExpr>(wabt::Const::I64(0)));
    check.push_back(make<wabt::CompareExpr>(wabt::Opcode::I64LtS));
    auto trap = std::make_unique<wabt::IfExpr>();
    trap->true_.exprs.push_back(make<wabt::UnreachableExpr>());
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

  wabt::Index fuel_;
};

// Marks the dirty chunk of every store, all chunks for bulk memory operations.
class DirtyMarker {
 public:
  DirtyMarker(wabt::Index dirty, uint32_t shift) : dirty_(dirty), shift_(shift) {}

  void function(wabt::Func& func) {
    func_ = &func;
    locals_.clear();
    address_.reset();
    for_each_list(func.exprs, [this](wabt::ExprList& exprs, uint32_t) { list(exprs); });
  }

 private:
  wabt::Index new_local(wabt::Type type) {
    const wabt::Index index = func_->GetNumParamsAndLocals();
    func_->local_types.AppendDecl(type, 1);
    return index;
  }
  // One local per value type for stored values, and one for addresses (never the same local: an i32
  // store needs both at once).
  wabt::Index value_local(wabt::Type type) {
    auto it = locals_.find(type);
    if (it == locals_.end()) it = locals_.emplace(type, new_local(type)).first;
    return it->second;
  }
  wabt::Index address_local() {
    if (!address_) address_ = new_local(wabt::Type::I32);
    return *address_;
  }

  void list(wabt::ExprList& exprs) {
    for (auto it = exprs.begin(); it != exprs.end(); ++it) {
      if (it->type() == ExprType::MemoryFill || it->type() == ExprType::MemoryCopy ||
          it->type() == ExprType::MemoryInit) {
        exprs.insert(it, make<wabt::ConstExpr>(wabt::Const::I64(~uint64_t{0})));
        exprs.insert(it, make<wabt::GlobalSetExpr>(var(dirty_)));
        continue;
      }
      if (it->type() != ExprType::Store) continue;
      const auto* store = wabt::cast<wabt::StoreExpr>(&*it);
      // [addr, value] → value to a local, addr kept in one, the store as it was, then the mark.
      const wabt::Index value = value_local(store->opcode.GetParamType2());
      const wabt::Index address = address_local();
      exprs.insert(it, make<wabt::LocalSetExpr>(var(value)));
      exprs.insert(it, make<wabt::LocalTeeExpr>(var(address)));
      exprs.insert(it, make<wabt::LocalGetExpr>(var(value)));
      auto after = std::next(it);
      // dirty |= 1 << ((addr + offset) >> shift)   (i64.shl takes the count mod 64: chunks past the
      // initial memory land on some bit, a harmless extra copy; the grown part is reset on its own)
      exprs.insert(after, make<wabt::GlobalGetExpr>(var(dirty_)));
      exprs.insert(after, make<wabt::ConstExpr>(wabt::Const::I64(1)));
      exprs.insert(after, make<wabt::LocalGetExpr>(var(address)));
      exprs.insert(after, make<wabt::ConvertExpr>(wabt::Opcode::I64ExtendI32U));
      exprs.insert(after, make<wabt::ConstExpr>(wabt::Const::I64(store->offset)));
      exprs.insert(after, make<wabt::BinaryExpr>(wabt::Opcode::I64Add));
      exprs.insert(after, make<wabt::ConstExpr>(wabt::Const::I64(shift_)));
      exprs.insert(after, make<wabt::BinaryExpr>(wabt::Opcode::I64ShrU));
      exprs.insert(after, make<wabt::BinaryExpr>(wabt::Opcode::I64Shl));
      exprs.insert(after, make<wabt::BinaryExpr>(wabt::Opcode::I64Or));
      exprs.insert(after, make<wabt::GlobalSetExpr>(var(dirty_)));
      it = std::prev(after);
    }
  }

  wabt::Index dirty_;
  uint32_t shift_;
  wabt::Func* func_ = nullptr;
  std::map<wabt::Type, wabt::Index> locals_;
  std::optional<wabt::Index> address_;
};

wabt::Index add_exported_global(wabt::Module& module, wabt::Type type, const char* export_name) {
  const wabt::Index index = static_cast<wabt::Index>(module.globals.size());
  auto global = std::make_unique<wabt::GlobalModuleField>();
  global->global.type = type;
  global->global.mutable_ = true;
  global->global.init_expr.push_back(
      make<wabt::ConstExpr>(type == wabt::Type::I64 ? wabt::Const::I64(0) : wabt::Const::I32(0)));
  module.AppendField(std::move(global));
  auto exported = std::make_unique<wabt::ExportModuleField>();
  exported->export_.name = export_name;
  exported->export_.kind = wabt::ExternalKind::Global;
  exported->export_.var = var(index);
  module.AppendField(std::move(exported));
  return index;
}

}  // namespace

uint32_t dirty_shift_for(uint64_t initial_bytes) {
  uint32_t shift = 12;
  while ((uint64_t{64} << shift) < initial_bytes) ++shift;
  return shift;
}

Instrumented instrument(wabt::Module& module) {
  const uint64_t initial_bytes =
      module.memories.empty() ? 0 : module.memories[0]->page_limits.initial * kPageBytes;
  const Instrumented out{dirty_shift_for(initial_bytes)};
  const wabt::Index fuel = add_exported_global(module, wabt::Type::I64, FIXNET_FUEL_EXPORT);
  add_exported_global(module, wabt::Type::I32, FIXNET_DEPTH_EXPORT);
  const wabt::Index dirty = add_exported_global(module, wabt::Type::I64, FIXNET_DIRTY_EXPORT);
  FuelCharger fuel_charger(fuel);
  DirtyMarker dirty_marker(dirty, out.dirty_shift);
  // module.funcs starts with the imported functions, which have no body here. Fuel is charged first,
  // so it counts the module's own instructions, not the marking.
  for (wabt::Index i = module.num_func_imports; i < module.funcs.size(); ++i) {
    fuel_charger.function(*module.funcs[i]);
    dirty_marker.function(*module.funcs[i]);
  }

  wabt::Errors errors;
  if (wabt::Failed(wabt::ValidateModule(&module, &errors, wabt::ValidateOptions(toolchain_features()))))
    throw ProcedureError(
        fmt::format("fixnet's instrumentation produced an invalid module ({}); "
                    "please report this module",
                    errors.empty() ? "no detail" : errors.front().message));
  return out;
}

}  // namespace fixnet::wasm
