// Fuzzes the expression parser of `fixnet eval` (src/cli/lib/expr.h) with arbitrary text.
// Contract checked: it either returns a Name the store can account for, or throws InputError with
// a one-line message — no other exception, no crash, no unbounded recursion; and it is
// deterministic (the same text gives the same Name).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cli/lib/expr.h"
#include "core/error.h"
#include "core/memory_store.h"

namespace {

using fixnet::InputError;
using fixnet::Name;

// A few labels of every kind, so role changes (app:, strict:, ref:…) meet all of them.
Name label(fixnet::MemoryStore& store, std::string_view text) {
  if (text == "blob") return store.put_blob("a blob long enough to be stored canonically");
  if (text == "tree") return store.put_tree({Name::blob_name("x"), Name::blob_name("y")});
  if (text == "app")
    return store.put_tree({Name::blob_name("l"), Name::blob_name("p")}).application();
  if (text == "sel")
    return store.put_tree({Name::blob_name("t"), Name::blob_name("\x01")}).selection();
  if (text == "strict") return label(store, "app").strict();
  if (text == "ref") return label(store, "tree").as_ref();
  throw InputError("no label '" + std::string(text) + "'");
}

Name parse(std::string_view text, fixnet::MemoryStore& store) {
  fixnet::cli::ExprContext context{
      .store = store,
      .resolve_name = [](std::string_view t) -> Name {
        throw InputError("no object known by '" + std::string(t) + "'");
      },
      .resolve_label = [&store](std::string_view t) { return label(store, t); },
      .add_path = [](const std::string& path) -> Name {
        throw InputError(path + ": files are not read while fuzzing");
      },
  };
  return fixnet::cli::parse_expression(text, context);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fixnet::MemoryStore store;
  Name first;
  try {
    first = parse(text, store);
  } catch (const InputError& e) {
    if (std::string_view(e.what()).find('\n') != std::string_view::npos) std::abort();
    return 0;
  }
  if (first.is_null()) std::abort();
  // What the expression built is in the store (or lives in its Name).
  if (!first.is_literal() && !first.is_ref() && !store.contains(first.content_name())) std::abort();
  fixnet::MemoryStore again;
  if (parse(text, again) != first) std::abort();
  return 0;
}
