#include "core/memory_store.h"

#include <fmt/format.h>

#include "core/error.h"

namespace fixnet {
namespace {

[[noreturn]] void wrong_content(Name name, std::string_view wanted) {
  throw InputError(fmt::format("{} is a {}, not a {}", name.short_hex(), kind_name(name.content_name().kind()), wanted));
}

[[noreturn]] void not_found(Name content) {
  throw NotFoundError(fmt::format("object {} is not in memory", content.hex()));
}

BlobData literal_blob(Name name) { return std::make_shared<const std::string>(name.literal_bytes()); }

}  // namespace

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

void MemoryStore::insert_blob(Name name, BlobData data) { objects_.insert(name.content_name(), std::move(data)); }

void MemoryStore::insert_tree(Name name, TreeData data) { objects_.insert(name.content_name(), std::move(data)); }

void MemoryStore::erase(Name name) {
  if (!name.is_literal()) objects_.erase(name.content_name());
}

BlobData MemoryStore::get_blob(Name name) {
  Name content = name.content_name();
  if (content.content() != Content::Blob) wrong_content(name, "Blob");
  if (content.is_literal()) return literal_blob(content);
  BlobData out;
  if (!objects_.read(content, [&](const Entry& e) { out = std::get<BlobData>(e); })) not_found(content);
  return out;
}

TreeData MemoryStore::get_tree(Name name) {
  Name content = name.content_name();
  if (content.content() != Content::Tree) wrong_content(name, "Tree");
  TreeData out;
  if (!objects_.read(content, [&](const Entry& e) { out = std::get<TreeData>(e); })) not_found(content);
  return out;
}

size_t MemoryStore::copy_tree(const Name& name, std::span<Name> out) {
  const Name content = name.content_name();
  if (content.content() != Content::Tree) wrong_content(name, "Tree");
  size_t n = 0;
  auto copy = [&](const Entry& e) {
    const std::vector<Name>& entries = *std::get<TreeData>(e);
    n = entries.size();
    if (n <= out.size()) std::copy(entries.begin(), entries.end(), out.begin());
  };
  if (!objects_.read(content, copy)) not_found(content);
  return n;
}

bool MemoryStore::contains(Name name) {
  Name content = name.content_name();
  if (content.is_literal()) return true;
  return objects_.contains(content);
}

size_t MemoryStore::object_count() const { return objects_.size(); }

}  // namespace fixnet
