// FdTable: the program's file descriptors. 0, 1, 2 are stdin, stdout and stderr; 3 is the preopened
// `/`; path_open takes the lowest free number, as POSIX open does. The table never holds more than
// `max_open` descriptors (EMFILE beyond).
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "flatware/virtual_fs.h"

namespace fixnet::flatware {

enum class FdKind : uint8_t { stdin_stream, stdout_stream, stderr_stream, directory, file };

struct OpenFile {
  FdKind kind;
  NodePtr node;  // directory and file fds
  uint64_t offset = 0;
  uint16_t flags = 0;  // fdflags; APPEND is the one with an effect
  uint64_t rights_base = wasi::kRightsAll;
  uint64_t rights_inheriting = wasi::kRightsAll;
  bool preopen = false;

  bool is_stdio() const { return kind <= FdKind::stderr_stream; }
  // What the fd may do, from its kind and the rights it was opened with.
  bool readable() const {
    return kind == FdKind::stdin_stream || (kind == FdKind::file && (rights_base & wasi::kRightFdRead));
  }
  bool writable() const {
    return kind == FdKind::stdout_stream || kind == FdKind::stderr_stream ||
           (kind == FdKind::file && (rights_base & wasi::kRightFdWrite));
  }
};

// The WASI file type of a node, and of what an fd refers to (stdio are character devices).
inline wasi::Filetype filetype_of(NodeKind kind) {
  switch (kind) {
    case NodeKind::directory:
      return wasi::Filetype::directory;
    case NodeKind::file:
      return wasi::Filetype::regular_file;
    case NodeKind::symlink:
      return wasi::Filetype::symbolic_link;
  }
  return wasi::Filetype::unknown;
}
inline wasi::Filetype filetype_of(const OpenFile& f) {
  return f.is_stdio() ? wasi::Filetype::character_device : filetype_of(f.node->kind);
}

class FdTable {
 public:
  explicit FdTable(uint32_t max_open) : max_open_(max_open) {}

  OpenFile* get(uint64_t fd);
  // The lowest free fd, or nullopt when max_open are open already.
  std::optional<uint32_t> insert(OpenFile file);
  bool full() const { return files_.size() >= max_open_; }
  Errno close(uint64_t fd);
  Errno renumber(uint64_t from, uint64_t to);

 private:
  uint32_t max_open_;
  std::map<uint32_t, OpenFile> files_;
};

}  // namespace fixnet::flatware
