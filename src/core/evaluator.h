// Evaluator: Fix semantics (docs/semantics.md is the contract; every rule there has a test).
//   eval(Blob) = the Blob. eval(Tree) = the Tree with every Encode entry replaced by its result.
//   eval(Strict(t)) = force(t), accessible. eval(Shallow(t)) = Ref of force(t).
//   force(Application(T)) = apply T's procedure to eval(T), forcing further while the result is a thunk.
//   force(Identification(V)) = V.  force(Selection([x, i(, j)])) = entry i (slice [i, j)) of a Tree,
//   or the byte range of a Blob.
// The evaluator is pure: it reaches the world only through the ObjectStore, the RelationStore (memo
// and provenance), the ProcedureRunner and the ThreadPool it is given, so tests drive it with fakes.
// One Evaluator may be used from many threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>

#include "core/procedure.h"
#include "core/relation.h"
#include "core/store.h"
#include "core/thread_counter.h"
#include "core/thread_pool.h"

namespace fixnet {

struct EvaluatorOptions {
  // Read memoized relations before computing. `fixnet reproduce` turns this off to re-run a chain.
  bool read_memo = true;
  // Entries per parallel task when evaluating a Tree; below this a Tree is evaluated inline.
  size_t parallel_grain = 1024;
};

struct EvaluatorStats {
  ThreadCounter applications;  // procedures actually run
  ThreadCounter memo_hits;
  ThreadCounter forces;
};

class Evaluator {
 public:
  Evaluator(ObjectStore& store, RelationStore& relations, ProcedureRunner& runner, ThreadPool& pool,
            EvaluatorOptions options = {});

  // eval of any Name: a value evaluates to itself with its encodes replaced; an Encode evaluates to
  // its thunk's result (a Ref for Shallow); a bare thunk (not in an Encode) is forced too, as the
  // command line expects — eval of a lazy thunk at top level means "what does it stand for".
  Name eval(Name name);
  // force of a thunk: its value (Blob or Tree), after forcing further while the result is a thunk.
  Name force(Name thunk);

  const EvaluatorStats& stats() const { return stats_; }

 private:
  // eval of a Tree; when its value is the Tree itself and `entries` is given, *entries holds them
  // (so a caller about to read them does not fetch them again).
  Name eval_tree(Name tree, TreeData* entries = nullptr);
  // Invokes the procedure of an evaluated encode tree whose entries the caller holds.
  Name run(const Name& encode, std::span<const Name> entries);
  static constexpr size_t kCopiedEntries = 8;  // encode trees up to this size are copied, not referenced
  Name eval_encode(Name encode);
  // The hot path of force (inlined into it): by reference, as a Name is four words.
  Name force_once(const Name& thunk);
  Name apply(const Name& application);  // a small encode tree with nothing to evaluate, else apply_evaluated
  Name apply_evaluated(const Name& tree);
  Name select(Name selection);

  ObjectStore& store_;
  RelationStore& relations_;
  ProcedureRunner& runner_;
  ThreadPool& pool_;
  EvaluatorOptions options_;
  EvaluatorStats stats_;
  const uint64_t id_;  // tells this evaluator's entry in a thread's routing cache from another's
};

}  // namespace fixnet
