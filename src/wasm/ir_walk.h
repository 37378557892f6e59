// Walking and editing a function body's instruction lists in wabt's IR, for the passes that rewrite it
// (instrument.h, interpreter_checks.h).
#pragma once

#include <wabt/cast.h>
#include <wabt/ir.h>

#include <cstdint>
#include <memory>
#include <utility>

namespace fixnet::wasm {

inline wabt::Var var(wabt::Index index) { return wabt::Var(index, wabt::Location()); }

template <class T, class... Args>
std::unique_ptr<wabt::Expr> make(Args&&... args) {
  return std::make_unique<T>(std::forward<Args>(args)...);
}

// Calls fn(list, depth) on every instruction list of a function body (the body, and every block, loop
// and if arm inside it), innermost first; depth is the number of labels around the list inside the
// body (0 for the body itself, so a `br depth` in the list leaves the function).
template <class Fn>
void for_each_list(wabt::ExprList& exprs, Fn&& fn, uint32_t depth = 0) {
  for (wabt::Expr& expr : exprs) {
    switch (expr.type()) {
      case wabt::ExprType::Block:
        for_each_list(wabt::cast<wabt::BlockExpr>(&expr)->block.exprs, fn, depth + 1);
        break;
      case wabt::ExprType::Loop:
        for_each_list(wabt::cast<wabt::LoopExpr>(&expr)->block.exprs, fn, depth + 1);
        break;
      case wabt::ExprType::If: {
        auto* if_expr = wabt::cast<wabt::IfExpr>(&expr);
        for_each_list(if_expr->true_.exprs, fn, depth + 1);
        for_each_list(if_expr->false_, fn, depth + 1);
        break;
      }
      default:
        break;
    }
  }
  fn(exprs, depth);
}

}  // namespace fixnet::wasm
