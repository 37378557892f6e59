// Repository: the on-disk home of objects, relations, labels and the compiled-artifact cache — by
// default `.fixnet/` in the working directory, found like git finds `.git/` (docs/format.md,
// "Repository"). It is an ObjectStore and a RelationStore; reads are cached in memory and every
// canonical object read from disk is verified against its Name.
//
// Durability: objects are committed in groups — written to tmp/ at once, then made durable with one
// syncfs() and renamed into place (every 4096 objects, after 30 s, and at every flush() and
// set_label()), so a reader sees a whole object or none and other processes see it once committed.
// New relations are buffered in memory and written by flush() as one segment file, after the
// objects they mention are durable; a crash at any moment leaves a repository that
// fsck() calls consistent. A write that fails (disk full, read-only filesystem) throws
// EnvironmentError naming the path and what to do, and leaves nothing half-written behind.
//
// Thread-safe: many threads may put, get and memoize at once.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/memory_store.h"
#include "core/relation.h"
#include "core/store.h"

namespace fixnet {

// Called as work proceeds (done of total units); the CLI draws a progress bar from it.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

struct FsckProblem {
  std::string path;     // the file at fault, relative to the repository directory
  std::string problem;  // what is wrong, one line
};

struct FsckReport {
  uint64_t objects_checked = 0;
  uint64_t relations_checked = 0;
  uint64_t labels_checked = 0;
  std::vector<FsckProblem> problems;
  bool ok() const { return problems.empty(); }
};

struct GcReport {
  uint64_t objects_kept = 0;
  std::vector<Name> objects_removed;  // (or, on a dry run, that would be removed)
  uint64_t bytes_removed = 0;
  uint64_t relations_kept = 0;
  uint64_t relations_removed = 0;
};

class Repository : public ObjectStore, public RelationStore {
 public:
  // Creates `<dir>/.fixnet` (idempotent: an existing repository is left as it is) and opens it.
  static std::unique_ptr<Repository> init(const std::filesystem::path& dir);
  // The repository for `start`: $FIXNET_DIR if set, else the first `.fixnet/` from `start` upward.
  // Throws InputError saying to run `fixnet init` when there is none.
  static std::filesystem::path locate(const std::filesystem::path& start);
  static std::unique_ptr<Repository> open(const std::filesystem::path& fixnet_dir);
  ~Repository() override;  // flushes; a flush failure there is reported on stderr, not thrown

  const std::filesystem::path& path() const { return dir_; }
  std::filesystem::path cache_dir() const { return dir_ / "cache"; }

  // ObjectStore
  Name put_blob(std::string_view bytes) override;
  Name put_tree(std::vector<Name> entries) override;
  BlobData get_blob(Name name) override;
  TreeData get_tree(Name name) override;
  size_t copy_tree(const Name& name, std::span<Name> out) override;
  bool contains(Name name) override;

  // RelationStore
  std::optional<Name> get(Relation relation, Name key) override;
  void put(Relation relation, const Name& key, const Name& value) override;
  void for_each(const std::function<void(Relation, Name, Name)>& fn) override;

  // Writes buffered relations as one durable segment. Throws EnvironmentError on failure; the
  // relations stay buffered so a later flush can succeed.
  void flush();

  // Labels: human names for Names. A label is [A-Za-z0-9._-]+, not starting with '.' or '-'.
  void set_label(const std::string& label, Name name);
  std::optional<Name> label(const std::string& label);
  std::map<std::string, Name> labels();
  bool remove_label(const std::string& label);

  // A Name from user text: a label, or 64 hex digits, or a unique hex prefix (≥ 4 digits) of a Name
  // the repository knows (objects, relation keys and values, labels). Throws InputError for unknown
  // or ambiguous input, listing the candidates of an ambiguous prefix.
  Name resolve(std::string_view text);

  // Every canonical object stored on disk (content Names).
  std::vector<Name> objects();

  FsckReport fsck(const ProgressFn& progress = {});
  // Removes what no label reaches (objects, and relations whose key or value is unreachable).
  // Reachable: a label's Name; a Tree's entries; a thunk's or encode's content; the values of
  // relations whose key is reachable. dry_run: report only.
  GcReport gc(bool dry_run, const ProgressFn& progress = {});

 private:
  explicit Repository(std::filesystem::path dir);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::filesystem::path dir_;
};

}  // namespace fixnet
