// MemoryStore: a concurrent in-memory ObjectStore. It grows with the workload (a NameMap: sharded
// tables, no fixed capacity); many threads may put and get at once, and a get takes no lock.
#pragma once

#include <variant>

#include "core/name_map.h"
#include "core/store.h"

namespace fixnet {

class MemoryStore : public ObjectStore {
 public:
  Name put_blob(std::string_view bytes) override;
  Name put_tree(std::vector<Name> entries) override;
  BlobData get_blob(Name name) override;
  TreeData get_tree(Name name) override;
  size_t copy_tree(const Name& name, std::span<Name> out) override;
  bool contains(Name name) override;

  // Insert content whose Name the caller already knows (e.g. loaded and verified from disk).
  void insert_blob(Name name, BlobData data);
  void insert_tree(Name name, TreeData data);
  // Drop an object (gc). Literal names are ignored.
  void erase(Name name);

  size_t object_count() const;

 private:
  using Entry = std::variant<BlobData, TreeData>;
  NameMap<Entry> objects_;
};

}  // namespace fixnet
