#include "flatware/virtual_fs.h"

#include <fmt/format.h>

#include <cstring>

#include "core/error.h"

namespace fixnet::flatware {
namespace {

// Pushes the components of `path` onto `pending` so that the first one is at the back. A path of
// slashes only ("/" as a link target) is the directory itself: ".".
void push_components(std::vector<std::string>& pending, std::string_view path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  if (parts.empty()) parts.emplace_back(".");
  pending.insert(pending.end(), parts.rbegin(), parts.rend());
}

bool is_dot_or_dotdot(std::string_view name) { return name == "." || name == ".."; }

std::string mode_bytes(uint32_t mode) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(mode >> (8 * i));
  return s;
}

[[noreturn]] void malformed(Name dir, size_t entry, std::string_view what) {
  throw ProcedureError(fmt::format("flatware: the filesystem Tree is malformed: directory {}, entry {}: {}",
                                   dir.short_hex(), entry, what));
}

bool accessible_blob(Name n) { return n.is_blob() && !n.is_ref(); }
bool accessible_tree(Name n) { return n.is_tree() && !n.is_ref(); }

// The node kind a (mode, content) pair stands for, or nullopt when they disagree.
std::optional<NodeKind> kind_of(uint32_t mode, Name content) {
  switch (mode & kModeTypeMask) {
    case kModeDirectory:
      if (accessible_tree(content)) return NodeKind::directory;
      break;
    case kModeFile:
      if (accessible_blob(content)) return NodeKind::file;
      break;
    case kModeSymlink:
      if (accessible_blob(content)) return NodeKind::symlink;
      break;
  }
  return std::nullopt;
}

}  // namespace

VirtualFs::VirtualFs(ObjectStore& store, Name root_tree) : store_(store) {
  root_ = make_node(NodeKind::directory, kNewDirectoryMode, root_tree);
  root_->parent = root_.get();
}

NodePtr VirtualFs::make_node(NodeKind kind, uint32_t mode, Name original) {
  auto node = std::make_shared<Node>();
  node->kind = kind;
  node->mode = mode;
  node->ino = next_ino_++;  // deterministic: nodes come into being in an order the program decides
  node->original = original;
  node->changed = original.is_null();
  if (kind == NodeKind::directory && original.is_null()) node->loaded = true;
  return node;
}

void VirtualFs::load(Node& dir) {
  if (dir.loaded) return;
  TreeData tree = store_.get_tree(dir.original);
  std::string previous;
  for (size_t i = 0; i < tree->size(); ++i) {
    Name entry = (*tree)[i];
    if (!accessible_tree(entry) || entry.size() != 3)
      malformed(dir.original, i, "not a Tree [name, mode, content]");
    TreeData parts = store_.get_tree(entry);
    const Name name_blob = (*parts)[0], mode_blob = (*parts)[1], content = (*parts)[2];
    if (!accessible_blob(name_blob)) malformed(dir.original, i, "the name is not a Blob");
    std::string name = *store_.get_blob(name_blob);
    if (name.empty() || is_dot_or_dotdot(name) ||
        name.find_first_of(std::string_view("/\0", 2)) != std::string::npos)
      malformed(dir.original, i, fmt::format("invalid name \"{}\"", one_line(name)));
    if (i > 0 && !(previous < name))
      malformed(dir.original, i, "entries are not sorted by name (bytewise) without duplicates");
    if (!accessible_blob(mode_blob) || mode_blob.size() != 4)
      malformed(dir.original, i, "the mode is not a 4-byte Blob");
    const std::string m = *store_.get_blob(mode_blob);
    uint32_t mode = 0;
    for (int b = 0; b < 4; ++b) mode |= uint32_t{static_cast<uint8_t>(m[b])} << (8 * b);
    if (mode & ~(kModeTypeMask | kModePermMask))
      malformed(dir.original, i, fmt::format("mode {:o} has stray bits", mode));
    const auto kind = kind_of(mode, content);
    if (!kind) malformed(dir.original, i, fmt::format("mode {:o} does not match its content", mode));
    NodePtr node = make_node(*kind, mode, content);
    node->parent = &dir;
    dir.entries.emplace_hint(dir.entries.end(), name, std::move(node));
    previous = std::move(name);
  }
  dir.loaded = true;
}

NodePtr VirtualFs::child(Node& dir, const std::string& name) {
  load(dir);
  auto it = dir.entries.find(name);
  return it == dir.entries.end() ? nullptr : it->second;
}

void VirtualFs::attach(Node& dir, const std::string& name, NodePtr node) {
  load(dir);
  node->parent = &dir;
  dir.entries[name] = std::move(node);
  dir.changed = true;
}

void VirtualFs::detach(Node& dir, const std::string& name) {
  auto it = dir.entries.find(name);
  it->second->parent = nullptr;
  dir.entries.erase(it);
  dir.changed = true;
}

Errno VirtualFs::locate(const NodePtr& start, std::string_view path, bool follow_last, Lookup& out) {
  out = Lookup{};
  if (path.empty()) return Errno::noent;
  if (path.find('\0') != std::string_view::npos) return Errno::inval;
  if (path.front() == '/') return Errno::notcapable;  // WASI paths are relative to a directory fd
  out.trailing_slash = path.back() == '/';
  std::vector<std::string> pending;
  push_components(pending, path);
  NodePtr dir = start;
  int hops = 0;
  for (;;) {
    if (!dir->is_dir()) return Errno::notdir;
    if (dir->removed()) return Errno::noent;
    std::string comp = std::move(pending.back());
    pending.pop_back();
    const bool last = pending.empty();
    if (is_dot_or_dotdot(comp)) {
      NodePtr next = dir;
      // `..` at the guest's `/` is `/` itself, as in POSIX and as Node's WASI (uvwasi) answers for a
      // preopened `/`: nothing can climb out, and programs see the same answers under both.
      if (comp == ".." && dir != root_) next = dir->parent->shared_from_this();
      if (last) {
        out.name = std::move(comp);
        out.node = std::move(next);
        return Errno::success;
      }
      dir = std::move(next);
      continue;
    }
    NodePtr node = child(*dir, comp);
    if (node && node->kind == NodeKind::symlink && (!last || follow_last || out.trailing_slash)) {
      if (++hops > kMaxSymlinkHops) return Errno::loop;
      const std::string_view target = content(*node);
      if (target.empty()) return Errno::noent;
      if (target.front() == '/') dir = root_;  // absolute targets mean the guest's `/`
      push_components(pending, target);
      continue;
    }
    if (last) {
      out.parent = std::move(dir);
      out.name = std::move(comp);
      out.node = std::move(node);
      return Errno::success;
    }
    if (!node) return Errno::noent;
    dir = std::move(node);
  }
}

Errno VirtualFs::resolve(const NodePtr& dir, std::string_view path, bool follow_last, NodePtr& out) {
  Lookup l;
  if (Errno e = locate(dir, path, follow_last, l); e != Errno::success) return e;
  if (!l.node) return Errno::noent;
  if (l.trailing_slash && !l.node->is_dir()) return Errno::notdir;
  out = std::move(l.node);
  return Errno::success;
}

Errno VirtualFs::create_file(const Lookup& where, NodePtr& out) {
  if (!where.parent || where.node) return Errno::exist;
  if (where.trailing_slash) return Errno::isdir;
  out = make_node(NodeKind::file, kNewFileMode, Name());
  attach(*where.parent, where.name, out);
  return Errno::success;
}

Errno VirtualFs::mkdir(const NodePtr& dir, std::string_view path) {
  Lookup l;
  if (Errno e = locate(dir, path, false, l); e != Errno::success) return e;
  if (!l.parent || l.node) return Errno::exist;
  attach(*l.parent, l.name, make_node(NodeKind::directory, kNewDirectoryMode, Name()));
  return Errno::success;
}

Errno VirtualFs::rmdir(const NodePtr& dir, std::string_view path) {
  Lookup l;
  if (Errno e = locate(dir, path, false, l); e != Errno::success) return e;
  if (!l.parent) return l.name == "." ? Errno::inval : Errno::notempty;
  if (!l.node) return Errno::noent;
  if (!l.node->is_dir()) return Errno::notdir;
  load(*l.node);
  if (!l.node->entries.empty()) return Errno::notempty;
  detach(*l.parent, l.name);
  return Errno::success;
}

Errno VirtualFs::unlink(const NodePtr& dir, std::string_view path) {
  Lookup l;
  if (Errno e = locate(dir, path, false, l); e != Errno::success) return e;
  if (!l.parent) return Errno::isdir;
  if (!l.node) return Errno::noent;
  if (l.node->is_dir()) return Errno::isdir;
  if (l.trailing_slash) return Errno::notdir;
  detach(*l.parent, l.name);
  return Errno::success;
}

Errno VirtualFs::rename(const NodePtr& from_dir, std::string_view from, const NodePtr& to_dir,
                        std::string_view to) {
  Lookup src, dst;
  if (Errno e = locate(from_dir, from, false, src); e != Errno::success) return e;
  if (Errno e = locate(to_dir, to, false, dst); e != Errno::success) return e;
  if (!src.parent || !dst.parent) return Errno::inval;  // renaming `.` or `..`, or onto them
  if (!src.node) return Errno::noent;
  if (!src.node->is_dir() && (src.trailing_slash || dst.trailing_slash)) return Errno::notdir;
  if (src.node == dst.node) return Errno::success;
  if (src.node->is_dir()) {
    // A directory cannot move below itself.
    for (Node* p = dst.parent.get(); p != root_.get(); p = p->parent)
      if (p == src.node.get()) return Errno::inval;
    if (dst.node) {
      if (!dst.node->is_dir()) return Errno::notdir;
      load(*dst.node);
      if (!dst.node->entries.empty()) return Errno::notempty;
    }
  } else if (dst.node && dst.node->is_dir()) {
    return Errno::isdir;
  }
  if (dst.node) detach(*dst.parent, dst.name);
  NodePtr moving = src.node;
  detach(*src.parent, src.name);
  attach(*dst.parent, dst.name, std::move(moving));
  return Errno::success;
}

Errno VirtualFs::symlink(std::string_view target, const NodePtr& dir, std::string_view path) {
  if (target.empty()) return Errno::noent;
  if (target.find('\0') != std::string_view::npos) return Errno::inval;
  Lookup l;
  if (Errno e = locate(dir, path, false, l); e != Errno::success) return e;
  if (!l.parent || l.node) return Errno::exist;
  if (l.trailing_slash) return Errno::noent;
  NodePtr link = make_node(NodeKind::symlink, kNewSymlinkMode, Name());
  link->bytes = std::string(target);
  attach(*l.parent, l.name, std::move(link));
  return Errno::success;
}

Errno VirtualFs::readlink(const NodePtr& dir, std::string_view path, std::string& target) {
  Lookup l;
  if (Errno e = locate(dir, path, false, l); e != Errno::success) return e;
  if (!l.node) return Errno::noent;
  if (l.node->kind != NodeKind::symlink) return Errno::inval;
  target = content(*l.node);
  return Errno::success;
}

uint64_t VirtualFs::size(const Node& node) const {
  if (node.is_dir()) return 0;
  if (node.bytes) return node.bytes->size();
  if (node.blob) return node.blob->size();
  return node.original.is_null() ? 0 : node.original.size();
}

std::string_view VirtualFs::content(Node& node) {
  if (node.bytes) return *node.bytes;
  if (!node.blob) {
    static const BlobData kEmpty = std::make_shared<const std::string>();
    node.blob = node.original.is_null() ? kEmpty : store_.get_blob(node.original);
  }
  return *node.blob;
}

std::string& VirtualFs::mutable_content(Node& node) {
  if (!node.bytes) {
    node.bytes = std::string(content(node));
    node.blob.reset();
  }
  node.changed = true;
  return *node.bytes;
}

void VirtualFs::write(Node& file, uint64_t offset, std::string_view data) {
  if (data.empty()) return;
  std::string& s = mutable_content(file);
  if (offset + data.size() > s.size()) s.resize(offset + data.size(), '\0');
  std::memcpy(s.data() + offset, data.data(), data.size());
}

void VirtualFs::set_size(Node& file, uint64_t size) {
  if (size == this->size(file)) return;
  mutable_content(file).resize(size, '\0');
}

std::vector<DirEntry> VirtualFs::list(Node& dir) {
  load(dir);
  NodePtr self = dir.shared_from_this();
  NodePtr up = (&dir == root_.get() || dir.removed()) ? self : dir.parent->shared_from_this();
  std::vector<DirEntry> out{{".", self}, {"..", up}};
  for (const auto& [name, node] : dir.entries) out.push_back({name, node});
  return out;
}

Name VirtualFs::to_tree() { return emit(*root_); }

Name VirtualFs::emit(Node& node) {
  if (!node.is_dir()) {
    if (!node.changed) return node.original;
    return store_.put_blob(content(node));
  }
  if (!node.loaded) return node.original;  // never looked into: unchanged by construction
  std::vector<Name> contents;
  contents.reserve(node.entries.size());
  bool same = !node.changed;
  for (const auto& [name, child] : node.entries) {
    contents.push_back(emit(*child));
    same = same && contents.back() == child->original;
  }
  if (same) return node.original;
  std::vector<Name> entries;
  entries.reserve(contents.size());
  size_t i = 0;
  for (const auto& [name, child] : node.entries)
    entries.push_back(
        store_.put_tree({store_.put_blob(name), store_.put_blob(mode_bytes(child->mode)), contents[i++]}));
  return store_.put_tree(std::move(entries));
}

}  // namespace fixnet::flatware
