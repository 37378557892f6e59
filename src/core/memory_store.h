// MemoryStore: a concurrent in-memory ObjectStore. It grows with the workload (sharded hash tables,
// no fixed capacity) and many threads may put and get at once.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <variant>

#include "core/store.h"

namespace fixnet {

class MemoryStore : public ObjectStore {
 public:
  Name put_blob(std::string_view bytes) override;
  Name put_tree(std::vector<Name> entries) override;
  BlobData get_blob(Name name) override;
  TreeData get_tree(Name name) override;
  bool contains(Name name) override;

  // Insert content whose Name the caller already knows (e.g. loaded and verified from disk).
  void insert_blob(Name name, BlobData data);
  void insert_tree(Name name, TreeData data);
  // Drop an object (gc). Literal names are ignored.
  void erase(Name name);

  size_t object_count() const;

 private:
  using Entry = std::variant<BlobData, TreeData>;
  struct Shard {
    mutable std::shared_mutex mutex;
    std::unordered_map<Name, Entry, NameHash> objects;
  };
  static constexpr size_t kShards = 64;

  Shard& shard(Name content) { return shards_[content.table_hash() % kShards]; }
  const Entry* find(Name content, std::shared_lock<std::shared_mutex>& lock);

  std::array<Shard, kShards> shards_;
};

}  // namespace fixnet
