// VirtualFs: the guest's `/` during one run — an in-memory, copy-on-write filesystem over a directory
// Tree (docs/cli.md "Directory trees"). Nothing is read from the store until the program needs it: a
// directory's entries when it is first looked into, a file's bytes when first read or written. A node
// the program did not change keeps the Name it was loaded from, so to_tree() re-emits untouched
// subtrees by Name without reading them.
//
// Paths are WASI paths: relative to a directory node, '/'-separated, with `.`, `..` and symbolic
// links resolved here. `..` at the guest root is the root; absolute paths given by the program are
// ENOTCAPABLE; absolute symbolic link targets resolve from the root. Errors are WASI errnos; a
// malformed input Tree is the input's fault and throws ProcedureError when it is first read.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/name.h"
#include "core/object.h"
#include "core/store.h"
#include "flatware/wasi_types.h"

namespace fixnet::flatware {

using wasi::Errno;

enum class NodeKind : uint8_t { directory, file, symlink };

// st_mode bits as the tree format stores them.
inline constexpr uint32_t kModeTypeMask = 0170000;
inline constexpr uint32_t kModeDirectory = 0040000;
inline constexpr uint32_t kModeFile = 0100000;
inline constexpr uint32_t kModeSymlink = 0120000;
inline constexpr uint32_t kModePermMask = 07777;
// Modes of what the program creates (WASI has no permissions to ask for).
inline constexpr uint32_t kNewFileMode = kModeFile | 0644;
inline constexpr uint32_t kNewDirectoryMode = kModeDirectory | 0755;
inline constexpr uint32_t kNewSymlinkMode = kModeSymlink | 0777;

struct Node;
using NodePtr = std::shared_ptr<Node>;

// A file, directory or symbolic link. Open fds hold NodePtrs, so an unlinked file stays readable and
// writable through them (as on POSIX) while no longer part of the tree.
struct Node : std::enable_shared_from_this<Node> {
  NodeKind kind;
  uint32_t mode;
  uint64_t ino;
  Name original;           // content Name in the input Tree; null for what the program created
  bool changed = false;    // content (file, link) or entry set (directory) differs from `original`
  Node* parent = nullptr;  // the directory holding this node (the root: itself); null once removed

  // Files and links: the original bytes once read, and an own copy from the first change on.
  BlobData blob;
  std::optional<std::string> bytes;

  // Directories: entries by name (bytewise order), once loaded.
  bool loaded = false;
  std::map<std::string, NodePtr> entries;

  bool is_dir() const { return kind == NodeKind::directory; }
  bool removed() const { return parent == nullptr; }
};

// The result of resolving a path up to its last component.
struct Lookup {
  NodePtr parent;               // the directory holding the last component; null when it is `.` or `..`
  std::string name;             // the last component
  NodePtr node;                 // what it names, or null when it does not exist
  bool trailing_slash = false;  // the path ended in '/': it must name a directory
};

struct DirEntry {
  std::string name;
  NodePtr node;
};

class VirtualFs {
 public:
  static constexpr int kMaxSymlinkHops = 32;

  VirtualFs(ObjectStore& store, Name root_tree);

  const NodePtr& root() const { return root_; }

  // Resolves all of `path` but the last component; follows a symbolic link there when `follow_last`
  // (or the path ends in '/').
  Errno locate(const NodePtr& dir, std::string_view path, bool follow_last, Lookup& out);
  // Resolves `path` to an existing node.
  Errno resolve(const NodePtr& dir, std::string_view path, bool follow_last, NodePtr& out);

  // Path operations, POSIX rules (see docs/flatware.md for the errnos).
  Errno create_file(const Lookup& where, NodePtr& out);
  Errno mkdir(const NodePtr& dir, std::string_view path);
  Errno rmdir(const NodePtr& dir, std::string_view path);
  Errno unlink(const NodePtr& dir, std::string_view path);
  Errno rename(const NodePtr& from_dir, std::string_view from, const NodePtr& to_dir, std::string_view to);
  Errno symlink(std::string_view target, const NodePtr& dir, std::string_view path);
  Errno readlink(const NodePtr& dir, std::string_view path, std::string& target);

  // Contents. size() needs no read of an untouched file: the Name holds it.
  uint64_t size(const Node& node) const;
  std::string_view content(Node& node);  // file bytes or link target
  // Writes at `offset`, zero-filling a gap past the end.
  void write(Node& file, uint64_t offset, std::string_view data);
  void set_size(Node& file, uint64_t size);
  // ".", ".." then the entries in name order.
  std::vector<DirEntry> list(Node& dir);

  // The guest's `/` in the canonical directory Tree format.
  Name to_tree();

 private:
  NodePtr make_node(NodeKind kind, uint32_t mode, Name original);
  void load(Node& dir);
  NodePtr child(Node& dir, const std::string& name);
  void attach(Node& dir, const std::string& name, NodePtr node);
  void detach(Node& dir, const std::string& name);
  std::string& mutable_content(Node& node);
  Name emit(Node& node);

  ObjectStore& store_;
  NodePtr root_;
  uint64_t next_ino_ = 1;
};

}  // namespace fixnet::flatware
