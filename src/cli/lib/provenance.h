// Provenance: answering "how did this object come to be?" (`fixnet why`) and "does re-running it
// give the same bytes?" (`fixnet reproduce`) from the relations the evaluator recorded.
//
// Relations are keyed by the computation (Think: thunk → result; Eval: Tree → evaluated Tree), so
// the ProvenanceIndex inverts them once: result → the computations that produced it.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/name.h"
#include "core/procedure.h"
#include "core/relation.h"
#include "core/store.h"
#include "core/thread_pool.h"

namespace fixnet::cli {

struct Producer {
  Relation relation;
  Name key;  // the thunk (Think) or Tree (Eval) whose result the value is
};

class ProvenanceIndex {
 public:
  // Reads every relation once (RelationStore::for_each).
  explicit ProvenanceIndex(RelationStore& relations);

  // The recorded computation that produced `value`. When several did, the most telling one: a
  // forced Application before a Selection, an Identification, then an Eval; ties by key, so the
  // answer is the same on every run.
  std::optional<Producer> producer_of(Name value) const;
  size_t producer_count(Name value) const;
  size_t relation_count() const { return relations_; }

 private:
  std::unordered_map<Name, std::vector<Producer>, NameHash> by_value_;
  size_t relations_ = 0;
};

// One step of an explanation: a value, the computation that produced it (if recorded), and that
// computation's inputs, each explained in turn.
struct ProvenanceNode {
  struct Input {
    std::string role;           // "limits", "procedure", "arg 0", "target", "entry 2"…
    Name name;                  // the entry as written in the computation
    std::optional<Name> value;  // for an Encode entry: what it evaluated to
    std::unique_ptr<ProvenanceNode> origin;  // how value (or name) was produced, when recorded
  };
  Name value;
  std::optional<Producer> producer;
  std::vector<Input> inputs;
  bool explained_above = false;  // the same value appears earlier in the explanation
  bool truncated = false;        // max_depth reached
};

// How `name` was produced: the recorded computation and the value it gave. For a result, the
// computation whose value it is; for a thunk that was forced, that force and its result.
struct Production {
  Producer producer;
  Name value;
};
std::optional<Production> find_production(RelationStore& relations, const ProvenanceIndex& index,
                                          Name name);

// The explanation of `name`. A thunk with a recorded result is explained through that result.
// Literal inputs typed into a computation are their own origin and are not looked up.
ProvenanceNode explain(ObjectStore& store, RelationStore& relations, const ProvenanceIndex& index,
                       Name name, int max_depth = 16);

std::string provenance_text(ObjectStore& store, const ProvenanceNode& node);
nlohmann::json provenance_json(ObjectStore& store, const ProvenanceNode& node);

struct Reproduction {
  Producer producer;
  Name recorded;
  Name rerun;
  bool same() const { return recorded == rerun; }
};

// Re-runs the computation that produced `name` (as find_production finds it) without reading any
// memo (the re-run's own relations go to a scratch table, so the record is left as it was) and
// returns both answers. Throws InputError when no recorded computation produced `name`.
Reproduction reproduce(ObjectStore& store, RelationStore& relations, const ProvenanceIndex& index,
                       Name name, ProcedureRunner& runner, ThreadPool& pool);

}  // namespace fixnet::cli
