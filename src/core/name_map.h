// NameMap<Value>: a concurrent hash map keyed by Name whose reads take no lock and execute no locked
// instruction (they run inside a ReadSection); writes lock one of 64 shards. The memory store and
// the memo table are NameMaps: reads are their hot path (every evaluation step reads an encode tree
// and writes or reads a memo entry), writes are rarer and may cost more.
//
// Each shard is an open-addressing table of pointers to immutable nodes {key, value}. A write
// publishes a node with one release store; erasing or replacing unlinks a node and retires it, and
// growing retires the old table: retired memory is freed in batches after wait_for_readers(), so a
// reader never sees freed memory.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "core/name.h"
#include "core/read_section.h"

namespace fixnet {

template <class Value>
class NameMap {
 public:
  NameMap() = default;
  NameMap(const NameMap&) = delete;
  NameMap& operator=(const NameMap&) = delete;
  ~NameMap() {
    for (Shard& s : shards_) {
      s.free_retired();
      Table* t = s.table.load(std::memory_order_relaxed);
      if (!t) continue;
      for (size_t i = 0; i <= t->mask; ++i) delete_node(t->slots[i].load(std::memory_order_relaxed));
      delete_table(t);
    }
  }

  // Calls fn(const Value&) with the value of `key` while it cannot be freed; false when absent.
  template <class Fn>
  bool read(const Name& key, Fn&& fn) const {
    ReadSection section;
    const Node* n = find(shard(key), key);
    if (!n) return false;
    fn(n->value);
    return true;
  }
  std::optional<Value> get(const Name& key) const {
    std::optional<Value> out;
    read(key, [&](const Value& v) { out = v; });
    return out;
  }
  bool contains(const Name& key) const {
    ReadSection section;
    return find(shard(key), key) != nullptr;
  }

  // Inserts when absent; returns false (and keeps the value it has) when present.
  bool insert(const Name& key, Value value) { return write(key, std::move(value), false); }
  // Inserts, or replaces a different value. An equal value is left as it is (nothing is written:
  // re-memoizing a deterministic result costs a lookup).
  void assign(const Name& key, const Value& value) { write(key, value, true); }

  bool erase(const Name& key) {
    Shard& s = shard(key);
    std::lock_guard lock(s.mutex);
    Table* t = s.table.load(std::memory_order_relaxed);
    if (!t) return false;
    for (size_t i = slot_of(key, t);; i = (i + 1) & t->mask) {
      Node* n = t->slots[i].load(std::memory_order_relaxed);
      if (!n) return false;
      if (n != tombstone() && n->key == key) {
        t->slots[i].store(tombstone(), std::memory_order_release);
        --s.live;
        s.retire(n);
        return true;
      }
    }
  }

  void clear() {
    for (Shard& s : shards_) {
      std::lock_guard lock(s.mutex);
      if (Table* t = s.table.exchange(nullptr, std::memory_order_acq_rel)) s.retire_table(t, true);
      s.live = s.used = 0;
      s.free_retired();
    }
  }

  size_t size() const {
    size_t n = 0;
    for (const Shard& s : shards_) {
      std::lock_guard lock(s.mutex);
      n += s.live;
    }
    return n;
  }

  // fn(key, value) for every entry, one shard at a time (each shard consistent while it is read).
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const Shard& s : shards_) {
      std::lock_guard lock(s.mutex);
      const Table* t = s.table.load(std::memory_order_relaxed);
      if (!t) continue;
      for (size_t i = 0; i <= t->mask; ++i) {
        const Node* n = t->slots[i].load(std::memory_order_relaxed);
        if (n && n != tombstone()) fn(n->key, n->value);
      }
    }
  }

 private:
  struct Node {
    Name key;
    Value value;
  };
  struct Table {
    size_t mask;
    std::unique_ptr<std::atomic<Node*>[]> slots;
  };
  static constexpr size_t kShards = 64;
  static constexpr size_t kShardBits = 6;
  static constexpr size_t kRetireBatch = 64;  // retired nodes per shard before a wait_for_readers()

  // An erased slot: probes go on past it. Its address only is used.
  alignas(Node) static inline unsigned char tombstone_[sizeof(Node)];
  static Node* tombstone() { return reinterpret_cast<Node*>(tombstone_); }
  static void delete_node(Node* n) {
    if (n && n != tombstone()) delete n;
  }
  static void delete_table(Table* t) { delete t; }
  // Shard by the hash's low bits, slot by the bits above them.
  static size_t slot_of(const Name& key, const Table* t) { return (key.table_hash() >> kShardBits) & t->mask; }

  struct alignas(64) Shard {
    mutable std::mutex mutex;
    std::atomic<Table*> table{nullptr};
    size_t live = 0;  // entries
    size_t used = 0;  // entries and tombstones
    std::vector<Node*> retired_nodes;
    std::vector<Table*> retired_tables;

    void retire(Node* n) {
      retired_nodes.push_back(n);
      if (retired_nodes.size() >= kRetireBatch) {
        wait_for_readers();
        free_retired();
      }
    }
    // A table replaced by a bigger one (its nodes live on) or cleared (`with_nodes`: they go too).
    void retire_table(Table* t, bool with_nodes) {
      if (with_nodes)
        for (size_t i = 0; i <= t->mask; ++i) {
          Node* n = t->slots[i].load(std::memory_order_relaxed);
          if (n && n != tombstone()) retired_nodes.push_back(n);
        }
      retired_tables.push_back(t);
      wait_for_readers();
      free_retired();
    }
    void free_retired() {
      for (Node* n : retired_nodes) delete n;
      for (Table* t : retired_tables) delete t;
      retired_nodes.clear();
      retired_tables.clear();
    }
  };

  Shard& shard(const Name& key) { return shards_[key.table_hash() & (kShards - 1)]; }
  const Shard& shard(const Name& key) const { return shards_[key.table_hash() & (kShards - 1)]; }

  // Inside a ReadSection, or under the shard's mutex.
  static const Node* find(const Shard& s, const Name& key) {
    const Table* t = s.table.load(std::memory_order_acquire);
    if (!t) return nullptr;
    for (size_t i = slot_of(key, t);; i = (i + 1) & t->mask) {
      const Node* n = t->slots[i].load(std::memory_order_acquire);
      if (!n) return nullptr;
      if (n != tombstone() && n->key == key) return n;
    }
  }

  // Names by reference (four words each); `value` is moved in, or copied when it is an lvalue.
  template <class V>
  bool write(const Name& key, V&& value, bool replace) {
    Shard& s = shard(key);
    {  // Most writes of a present key change nothing: find that out without the lock.
      ReadSection section;
      const Node* n = find(s, key);
      if (n && (!replace || n->value == value)) return false;
    }
    std::lock_guard lock(s.mutex);
    Table* t = s.table.load(std::memory_order_relaxed);
    if (t) {
      for (size_t i = slot_of(key, t);; i = (i + 1) & t->mask) {
        Node* n = t->slots[i].load(std::memory_order_relaxed);
        if (!n) break;
        if (n == tombstone() || !(n->key == key)) continue;
        if (!replace || n->value == value) return false;
        t->slots[i].store(new Node{key, std::forward<V>(value)}, std::memory_order_release);
        s.retire(n);
        return true;
      }
    }
    // Keep at most half the slots used (entries and tombstones), so probes stay short.
    if (!t || 2 * (s.used + 1) > t->mask + 1) t = grow(s, t);
    Node* n = new Node{key, std::forward<V>(value)};
    size_t i = slot_of(key, t);
    while (t->slots[i].load(std::memory_order_relaxed) != nullptr) i = (i + 1) & t->mask;
    t->slots[i].store(n, std::memory_order_release);
    ++s.live;
    ++s.used;
    return true;
  }

  // A new table for the shard's live entries, twice as big as they need (tombstones dropped).
  Table* grow(Shard& s, Table* old) {
    size_t capacity = 16;
    while (capacity < 4 * (s.live + 1)) capacity *= 2;
    auto* t = new Table{capacity - 1, std::make_unique<std::atomic<Node*>[]>(capacity)};
    if (old)
      for (size_t j = 0; j <= old->mask; ++j) {
        Node* n = old->slots[j].load(std::memory_order_relaxed);
        if (!n || n == tombstone()) continue;
        size_t i = slot_of(n->key, t);
        while (t->slots[i].load(std::memory_order_relaxed) != nullptr) i = (i + 1) & t->mask;
        t->slots[i].store(n, std::memory_order_relaxed);
      }
    s.table.store(t, std::memory_order_release);
    s.used = s.live;
    if (old) s.retire_table(old, false);
    return t;
  }

  std::array<Shard, kShards> shards_;
};

}  // namespace fixnet
