#include "core/relation.h"

namespace fixnet {

std::string_view relation_name(Relation r) { return r == Relation::Think ? "Think" : "Eval"; }

std::optional<Name> MemoryRelations::get(Relation relation, Name key) {
  Shard& s = shards_[key.table_hash() % kShards];
  std::shared_lock lock(s.mutex);
  auto& table = relation == Relation::Think ? s.think : s.eval;
  auto it = table.find(key);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

void MemoryRelations::put(Relation relation, Name key, Name value) {
  Shard& s = shards_[key.table_hash() % kShards];
  std::unique_lock lock(s.mutex);
  (relation == Relation::Think ? s.think : s.eval).insert_or_assign(key, value);
}

void MemoryRelations::for_each(const std::function<void(Relation, Name, Name)>& fn) {
  for (Shard& s : shards_) {
    std::shared_lock lock(s.mutex);
    for (auto& [k, v] : s.think) fn(Relation::Think, k, v);
    for (auto& [k, v] : s.eval) fn(Relation::Eval, k, v);
  }
}

size_t MemoryRelations::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::shared_lock lock(s.mutex);
    n += s.think.size() + s.eval.size();
  }
  return n;
}

void MemoryRelations::clear() {
  for (Shard& s : shards_) {
    std::unique_lock lock(s.mutex);
    s.think.clear();
    s.eval.clear();
  }
}

}  // namespace fixnet
