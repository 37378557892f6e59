// Relations: the memo table and the provenance record.
//   Think(thunk) → result   a thunk was forced to this value
//   Eval(object) → value    an object (Tree with encodes, or an Encode) evaluated to this value
// RelationStore is the interface the evaluator memoizes through; MemoryRelations is the concurrent
// in-memory form. The repository persists them (docs/format.md, "Relations").
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>

#include "core/name.h"

namespace fixnet {

enum class Relation : uint8_t { Think = 1, Eval = 2 };

std::string_view relation_name(Relation r);  // "Think", "Eval"

class RelationStore {
 public:
  virtual ~RelationStore() = default;
  virtual std::optional<Name> get(Relation relation, Name key) = 0;
  virtual void put(Relation relation, Name key, Name value) = 0;
  // Every relation (relation, key, value), in no particular order. Used by why/gc/fsck.
  virtual void for_each(const std::function<void(Relation, Name, Name)>& fn) = 0;
};

class MemoryRelations : public RelationStore {
 public:
  std::optional<Name> get(Relation relation, Name key) override;
  void put(Relation relation, Name key, Name value) override;
  void for_each(const std::function<void(Relation, Name, Name)>& fn) override;
  size_t size() const;
  void clear();

 private:
  struct Shard {
    mutable std::shared_mutex mutex;
    std::unordered_map<Name, Name, NameHash> think, eval;
  };
  static constexpr size_t kShards = 64;
  std::array<Shard, kShards> shards_;
};

}  // namespace fixnet
