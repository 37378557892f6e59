// Directory trees: how `fixnet add` (and `file:PATH` in expressions) turns files into Fix objects.
// The format is written down in docs/cli.md, "Directory trees":
//   a file       → a Blob of its bytes
//   a directory  → a Tree with one entry per directory entry, sorted by name (bytewise), each entry
//                  a Tree [name Blob, mode Blob (u32 LE), content]
//   content      → a Blob for a regular file, a Tree (as above) for a directory, and for a symbolic
//                  link a Blob of the link's target
//   mode         → st_mode & (S_IFMT | 07777): file type bits and permission bits
// Symbolic links inside a directory are recorded as links; a path given directly is followed.
// Other file types (sockets, FIFOs, devices) are refused with an InputError naming the path.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/name.h"
#include "core/store.h"

namespace fixnet::cli {

// Called with bytes read so far; the total is measured first when `measure` was asked for.
using AddProgressFn = std::function<void(uint64_t done, uint64_t total)>;

struct AddResult {
  Name name;
  uint64_t files = 0;
  uint64_t directories = 0;
  uint64_t bytes = 0;  // file content read
};

// Bytes of file content under `path` (for a progress total). Errors are ignored: add reports them.
uint64_t measure_path(const std::string& path);

// Puts `path` into `store` as a Blob or a directory Tree. Large files are mapped, not copied.
// Throws InputError naming the path when it cannot be read or is of a kind fixnet does not store;
// store failures (disk full, read-only) propagate as the store throws them.
AddResult add_path(ObjectStore& store, const std::string& path, const AddProgressFn& progress = {},
                   uint64_t progress_total = 0);

// The mode Blob of an entry: u32 LE.
std::string mode_bytes(uint32_t mode);

}  // namespace fixnet::cli
