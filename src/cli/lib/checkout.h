// The way back from directory Trees (docs/cli.md, "Directory trees") to files, and their assembly:
// what `fixnet run` uses to build a program's filesystem from host directories and to write the
// files a program changed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/name.h"
#include "core/store.h"

namespace fixnet::cli {

struct CheckoutResult {
  uint64_t files = 0;  // regular files written
  uint64_t directories = 0;
  uint64_t links = 0;
  uint64_t bytes = 0;
  std::vector<std::string> removed;  // paths (relative to the output) in `before` but not in `after`
};

// Writes under `out` every entry of the directory Tree `after` that differs from `before` (a
// directory Tree, or Name() for "nothing"): new and changed files with their permission bits,
// directories, symbolic links. Entries only in `before` are reported in `removed`, not deleted:
// `out` is a place for results, not a mirror. Nothing is written outside `out`: entry names are
// checked (no '/', NUL, "." or ".."), and an existing symbolic link on the way is an error, never
// followed. Throws InputError naming the path on a hostile name or an I/O failure.
CheckoutResult write_changes(ObjectStore& store, Name before, Name after, const std::string& out);

// `root` (a directory Tree) with the directory Tree `subtree` placed at `guest_path` (absolute,
// e.g. "/data/in"), merged over what was there (its entries win; directories on both sides merge);
// missing directories on the way are created with mode 040755. Throws InputError for a path with "." or ".." components or a file on the way.
Name mount_tree(ObjectStore& store, Name root, std::string_view guest_path, Name subtree);

// The empty directory Tree.
Name empty_directory(ObjectStore& store);

}  // namespace fixnet::cli
