#include "core/relation.h"

namespace fixnet {

std::string_view relation_name(Relation r) { return r == Relation::Think ? "Think" : "Eval"; }

std::optional<Name> MemoryRelations::get(Relation relation, Name key) { return table(relation).get(key); }

void MemoryRelations::put(Relation relation, const Name& key, const Name& value) { table(relation).assign(key, value); }

void MemoryRelations::for_each(const std::function<void(Relation, Name, Name)>& fn) {
  think_.for_each([&](Name k, Name v) { fn(Relation::Think, k, v); });
  eval_.for_each([&](Name k, Name v) { fn(Relation::Eval, k, v); });
}

size_t MemoryRelations::size() const { return think_.size() + eval_.size(); }

void MemoryRelations::clear() {
  think_.clear();
  eval_.clear();
}

}  // namespace fixnet
