// The expression language of `fixnet eval`: a small text form for building Fix objects — Blobs,
// Trees, thunks, encodes — out of literals, files, labels and Names the repository knows.
// docs/cli.md, "Expressions", is the reference; in short:
//
//   "text"  x:0aff  u8:N u16:N u32:N u64:N  file:PATH  @LABEL  NAME-OR-PREFIX  [e, …]
//   app:e  ident:e  select:(e, i)  select:(e, i, j)  strict:e  shallow:e  ref:e
//   limits  limits(mem=BYTES, fuel=N)  native:NAME
//
// Parsing stores every object the expression builds and returns the Name of the whole. Errors are
// InputErrors that quote the expression and give the 1-based column and what was expected. The
// parser is safe on hostile input: nesting is bounded (kMaxExpressionDepth) and nothing recurses on
// unbounded input otherwise.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/name.h"
#include "core/store.h"

namespace fixnet {
class Repository;
}

namespace fixnet::cli {

inline constexpr size_t kMaxExpressionDepth = 256;

// Where an expression's outside references go. Each callback throws InputError for input it cannot
// resolve; the parser adds the column.
struct ExprContext {
  ObjectStore& store;
  // A hex Name or a unique hex prefix (`NAME` in the grammar).
  std::function<Name(std::string_view text)> resolve_name;
  // A label (`@LABEL`).
  std::function<Name(std::string_view label)> resolve_label;
  // A path (`file:PATH`), stored as `fixnet add` stores it. Empty: file: is refused.
  std::function<Name(const std::string& path)> add_path;
};

Name parse_expression(std::string_view text, const ExprContext& context);

// The usual wiring: objects go into `repo`, Names and labels resolve there, files are added there.
Name parse_expression(std::string_view text, Repository& repo);

}  // namespace fixnet::cli
