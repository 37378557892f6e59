#include "core/memory_store.h"

#include <fmt/format.h>

#include "core/error.h"

namespace fixnet {
namespace {

[[noreturn]] void wrong_content(Name name, std::string_view wanted) {
  throw InputError(fmt::format("{} is a {}, not a {}", name.short_hex(), kind_name(name.content_name().kind()), wanted));
}

BlobData literal_blob(Name name) { return std::make_shared<const std::string>(name.literal_bytes()); }

}  // namespace

const MemoryStore::Entry* MemoryStore::find(Name content, std::shared_lock<std::shared_mutex>& lock) {
  Shard& s = shard(content);
  lock = std::shared_lock(s.mutex);
  auto it = s.objects.find(content);
  return it == s.objects.end() ? nullptr : &it->second;
}

Name MemoryStore::put_blob(std::string_view bytes) {
  Name name = Name::blob_name(bytes);
  if (!name.is_literal()) insert_blob(name, std::make_shared<const std::string>(bytes));
  return name;
}

Name MemoryStore::put_tree(std::vector<Name> entries) {
  Name name = Name::tree_name(entries);
  insert_tree(name, std::make_shared<const std::vector<Name>>(std::move(entries)));
  return name;
}

void MemoryStore::insert_blob(Name name, BlobData data) {
  Name content = name.content_name();
  Shard& s = shard(content);
  std::unique_lock lock(s.mutex);
  s.objects.try_emplace(content, std::move(data));
}

void MemoryStore::insert_tree(Name name, TreeData data) {
  Name content = name.content_name();
  Shard& s = shard(content);
  std::unique_lock lock(s.mutex);
  s.objects.try_emplace(content, std::move(data));
}

void MemoryStore::erase(Name name) {
  if (name.is_literal()) return;
  Name content = name.content_name();
  Shard& s = shard(content);
  std::unique_lock lock(s.mutex);
  s.objects.erase(content);
}

BlobData MemoryStore::get_blob(Name name) {
  Name content = name.content_name();
  if (content.content() != Content::Blob) wrong_content(name, "Blob");
  if (content.is_literal()) return literal_blob(content);
  std::shared_lock<std::shared_mutex> lock;
  const Entry* e = find(content, lock);
  if (!e) throw NotFoundError(fmt::format("object {} is not in memory", content.hex()));
  return std::get<BlobData>(*e);
}

TreeData MemoryStore::get_tree(Name name) {
  Name content = name.content_name();
  if (content.content() != Content::Tree) wrong_content(name, "Tree");
  std::shared_lock<std::shared_mutex> lock;
  const Entry* e = find(content, lock);
  if (!e) throw NotFoundError(fmt::format("object {} is not in memory", content.hex()));
  return std::get<TreeData>(*e);
}

bool MemoryStore::contains(Name name) {
  Name content = name.content_name();
  if (content.is_literal()) return true;
  std::shared_lock<std::shared_mutex> lock;
  return find(content, lock) != nullptr;
}

size_t MemoryStore::object_count() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::shared_lock lock(s.mutex);
    n += s.objects.size();
  }
  return n;
}

}  // namespace fixnet
