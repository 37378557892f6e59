// Relations: the memo table and the provenance record.
//   Think(thunk) → result   a thunk was forced to this value
//   Eval(object) → value    an object (Tree with encodes, or an Encode) evaluated to this value
// RelationStore is the interface the evaluator memoizes through; MemoryRelations is the concurrent
// in-memory form (NameMaps: a lookup takes no lock; re-memoizing an equal value writes nothing).
// The repository persists them (docs/format.md, "Relations").
#pragma once

#include <functional>
#include <optional>

#include "core/name.h"
#include "core/name_map.h"

namespace fixnet {

enum class Relation : uint8_t { Think = 1, Eval = 2 };

std::string_view relation_name(Relation r);  // "Think", "Eval"

class RelationStore {
 public:
  virtual ~RelationStore() = default;
  virtual std::optional<Name> get(Relation relation, Name key) = 0;
  virtual void put(Relation relation, const Name& key, const Name& value) = 0;
  // Every relation (relation, key, value), in no particular order. Used by why/gc/fsck.
  virtual void for_each(const std::function<void(Relation, Name, Name)>& fn) = 0;
};

class MemoryRelations : public RelationStore {
 public:
  std::optional<Name> get(Relation relation, Name key) override;
  void put(Relation relation, const Name& key, const Name& value) override;
  void for_each(const std::function<void(Relation, Name, Name)>& fn) override;
  size_t size() const;
  void clear();

 private:
  NameMap<Name>& table(Relation r) { return r == Relation::Think ? think_ : eval_; }
  NameMap<Name> think_, eval_;
};

}  // namespace fixnet
