#include "core/evaluator.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "core/error.h"
#include "core/error_value.h"

namespace fixnet {
namespace {

// A selection index: an accessible Blob of at most 8 bytes, read as u64 LE.
uint64_t read_index(ObjectStore& store, Name index, std::string_view which) {
  if (!index.is_blob() || index.is_ref() || index.size() > 8)
    throw ProcedureError(fmt::format("selection {} must be a Blob of at most 8 bytes (u64 LE), got a {} of size {}",
                                     which, kind_name(index.kind()), index.size()));
  BlobData b = store.get_blob(index);
  uint64_t v = 0;
  for (size_t i = 0; i < b->size(); ++i) v |= uint64_t{static_cast<uint8_t>((*b)[i])} << (8 * i);
  return v;
}

// Only Encodes and nested (accessible) Trees can change when a Tree is evaluated.
inline bool changes_on_eval(const Name& e) { return e.is_encode() || (e.is_tree() && !e.is_ref()); }
// A loop rather than std::none_of(…, changes_on_eval): through the function pointer the check was a
// call per entry, more than the rest of the loop.
inline bool none_changes_on_eval(std::span<const Name> entries) {
  for (const Name& e : entries)
    if (changes_on_eval(e)) return false;
  return true;
}

std::atomic<uint64_t> next_evaluator_id{1};

// What real workloads repeat from one application to the next on a thread — the same procedure
// (map, fib, a service's handler) under the same limits, on other arguments — with what it took to
// learn: the runner the procedure routes to (ProcedureRunner::runner_for; routing never changes) and
// the parsed limits. Keyed by the procedure's and the limits' Names (immutable content) and, for the
// runner, by the evaluator whose runner routed it. Trivially destructible: reading it costs no TLS
// wrapper call.
struct LastProcedure {
  uint64_t evaluator = 0;
  Name procedure;
  ProcedureRunner* runner = nullptr;
  Name limits_blob;  // never a null Name: a limits Blob is a 16-byte literal
  Limits limits;
};
thread_local LastProcedure tl_last;

}  // namespace

Evaluator::Evaluator(ObjectStore& store, RelationStore& relations, ProcedureRunner& runner,
                     ThreadPool& pool, EvaluatorOptions options)
    : store_(store),
      relations_(relations),
      runner_(runner),
      pool_(pool),
      options_(options),
      id_(next_evaluator_id.fetch_add(1, std::memory_order_relaxed)) {}

Name Evaluator::eval(Name name) {
  if (name.is_encode()) return eval_encode(name);
  if (name.is_thunk()) return eval(force(name));
  if (name.is_tree() && !name.is_ref()) return eval_tree(name);
  return name;  // a Blob, or a Ref: nothing to evaluate
}

Name Evaluator::eval_encode(Name encode) {
  Name value = force(encode.thunk());
  if (encode.encode_mode() == EncodeMode::Shallow) return value.as_ref();
  return eval(value);
}

Name Evaluator::eval_tree(Name tree, TreeData* entries_out) {
  if (tree.size() == 0) return tree;
  if (options_.read_memo)
    if (auto memo = relations_.get(Relation::Eval, tree)) {
      stats_.memo_hits.add();
      return *memo;
    }
  TreeData entries = store_.get_tree(tree);
  const size_t n = entries->size();
  // A Tree without entries that change (an evaluated encode tree of literals, the common case of an
  // application) is its own value, with nothing allocated.
  if (none_changes_on_eval(*entries)) {
    if (entries_out) *entries_out = std::move(entries);
    return tree;
  }
  std::vector<Name> out(n);
  auto eval_entry = [&](size_t i) {
    Name e = (*entries)[i];
    out[i] = changes_on_eval(e) ? eval(e) : e;
  };
  if (n >= options_.parallel_grain)
    pool_.parallel_for(n, options_.parallel_grain, eval_entry);
  else
    for (size_t i = 0; i < n; ++i) eval_entry(i);

  if (std::equal(out.begin(), out.end(), entries->begin())) {
    if (entries_out) *entries_out = std::move(entries);
    return tree;
  }
  // An error produced by an entry is the value of the whole Tree: the lowest index wins, so the
  // answer does not depend on which thread finished first.
  for (size_t i = 0; i < n; ++i) {
    Name before = (*entries)[i];
    if (out[i] != before && before.is_encode() && is_error_value(store_, out[i].unref())) {
      relations_.put(Relation::Eval, tree, out[i].unref());
      return out[i].unref();
    }
    if (out[i] != before && before.is_tree() && is_error_value(store_, out[i])) {
      relations_.put(Relation::Eval, tree, out[i]);
      return out[i];
    }
  }
  Name value = store_.put_tree(std::move(out));
  relations_.put(Relation::Eval, tree, value);
  return value;
}

// The hot path of an application, inlined into force: nothing but what the path needs.
[[gnu::always_inline]] inline Name Evaluator::run(const Name& encode, std::span<const Name> entries) {
  LastProcedure& last = tl_last;
  const Name& limits_blob = entries[0];
  const Name& procedure = entries[1];
  if (!(last.limits_blob == limits_blob)) [[unlikely]] {
    last.limits = Limits::parse(limits_blob);  // throws before anything is kept
    last.limits_blob = limits_blob;
  }
  const Limits limits = last.limits;  // copies: a nested application on this thread may change `last`
  ProcedureRunner* runner = last.runner;
  if (last.evaluator != id_ || !(last.procedure == procedure)) [[unlikely]] {
    runner = runner_.runner_for(store_, procedure_root(store_, procedure));
    if (runner) {
      tl_last.evaluator = id_;
      tl_last.procedure = procedure;
      tl_last.runner = runner;
    } else {
      runner = &runner_;  // which says why nothing runs it
    }
  }
  Invocation invocation{store_, encode, procedure, limits, entries};
  stats_.applications.add();
  Name result = runner->apply(invocation);
  if (result.is_null()) [[unlikely]]
    throw ProcedureError("the procedure returned the null Name");
  return result;
}

[[gnu::always_inline]] inline Name Evaluator::apply(const Name& application) {
  // The common Application: a small encode tree with nothing left to evaluate (literals, values).
  // It is its own value, and its entries are copied out of the store rather than referenced.
  const Name tree = application.content_name();
  union Copied {  // left uninitialized: zeroing it (rep stos) cost more than the copy
    Copied() {}
    Name names[kCopiedEntries];
  } copied;
  if (tree.size() >= 2 && tree.size() <= kCopiedEntries) [[likely]] {
    const size_t n = store_.copy_tree(tree, copied.names);
    const std::span<const Name> entries(copied.names, n);
    if (n == tree.size() && none_changes_on_eval(entries)) [[likely]]
      return is_error_value(store_, tree) ? tree : run(tree, entries);
  }
  return apply_evaluated(tree);
}

[[gnu::always_inline]] inline Name Evaluator::force_once(const Name& thunk) {
  switch (thunk.thunk_kind()) {
    case ThunkKind::Application: return apply(thunk);
    case ThunkKind::Identification: return thunk.content_name();
    case ThunkKind::Selection: return select(thunk);
    case ThunkKind::None: break;
  }
  throw InputError("force of a value");
}

Name Evaluator::force(Name thunk) {
  if (!thunk.is_thunk())
    throw InputError(fmt::format("force needs a thunk, got a {} ({})", kind_name(thunk.kind()), thunk.short_hex()));
  stats_.forces.add();
  if (options_.read_memo)
    if (auto memo = relations_.get(Relation::Think, thunk)) {
      stats_.memo_hits.add();
      return *memo;
    }
  Name result;
  try {
    result = force_once(thunk);
  } catch (const ProcedureError& e) {
    result = make_error_value(store_, e.what(), thunk);
  }
  // "Keep forcing while the result is a thunk": each step is memoized on its own too.
  if (result.is_thunk())
    result = force(result);
  else if (result.is_encode())
    result = eval_encode(result).unref();
  relations_.put(Relation::Think, thunk, result);
  return result;
}

// An application whose encode tree has something to evaluate (or is large): evaluated first.
[[gnu::noinline]] Name Evaluator::apply_evaluated(const Name& tree) {
  TreeData entries;  // of the encode tree, when eval_tree already read them
  Name encode = eval_tree(tree, &entries);
  if (is_error_value(store_, encode)) return encode;  // an argument failed: so did this
  if (encode.size() < 2)
    throw ProcedureError(fmt::format("an Application needs a Tree [limits, procedure, arg…], got {} entries", encode.size()));
  if (!entries) entries = store_.get_tree(encode);
  return run(encode, *entries);
}

Name Evaluator::select(Name selection) {
  Name spec = eval_tree(selection.content_name());
  if (is_error_value(store_, spec)) return spec;
  TreeData entries = store_.get_tree(spec);
  Name target = (*entries)[0];
  if (target.is_thunk()) target = force(target);
  if (target.is_ref())
    throw ProcedureError("a Selection cannot look inside a Ref (its contents are not accessible)");
  const bool slice = entries->size() == 3;
  const uint64_t begin = read_index(store_, (*entries)[1], slice ? "begin" : "index");
  const uint64_t size = target.size();
  uint64_t end = begin + 1;
  if (slice) {
    end = read_index(store_, (*entries)[2], "end");
    if (end < begin || end > size)
      throw ProcedureError(fmt::format("selection slice [{}, {}) is out of range for a {} of size {}", begin, end,
                                       kind_name(target.kind()), size));
  } else if (begin >= size) {
    throw ProcedureError(fmt::format("selection index {} is out of range for a {} of size {}", begin,
                                     kind_name(target.kind()), size));
  }
  if (target.is_blob()) {
    BlobData bytes = store_.get_blob(target);
    return store_.put_blob(std::string_view(*bytes).substr(begin, end - begin));
  }
  TreeData tree = store_.get_tree(target);
  if (!slice) return (*tree)[begin];
  return store_.put_tree(std::vector<Name>(tree->begin() + begin, tree->begin() + end));
}

}  // namespace fixnet
