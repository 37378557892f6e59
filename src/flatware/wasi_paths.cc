// The path_* calls: each resolves its path against a directory fd in the VirtualFs and maps the result
// to the guest. The fd is checked first (EBADF, ENOTDIR), then the path's length (ENAMETOOLONG) and
// memory (EFAULT), and every output pointer before anything changes.
#include <algorithm>

#include "flatware/guest_io.h"
#include "flatware/wasi_host.h"

namespace fixnet::flatware {

using wasi::Errno;

namespace {
bool follows(uint64_t lookupflags) { return lookupflags & wasi::kLookupSymlinkFollow; }
}  // namespace

Errno WasiHost::path_open(const uint64_t* a, wasm::GuestMemory& m) {
  NodePtr dir;
  std::string_view path;
  if (Errno e = dir_path(m, a[0], a[2], a[3], dir, path); e != Errno::success) return e;
  const uint64_t oflags = a[4], base = a[5] & wasi::kRightsAll, inheriting = a[6] & wasi::kRightsAll,
                 fdflags = a[7];
  if ((oflags & ~uint64_t{wasi::kOflagsAll}) || (fdflags & ~uint64_t{wasi::kFdflagsAll})) return Errno::inval;
  check_range(m, a[8], 4);
  if (fds_.full()) return Errno::mfile;
  const bool creat = oflags & wasi::kOflagCreat, excl = oflags & wasi::kOflagExcl,
             directory = oflags & wasi::kOflagDirectory, trunc = oflags & wasi::kOflagTrunc;
  // O_CREAT|O_EXCL never follows a final symbolic link: the link itself makes the name exist.
  Lookup l;
  if (Errno e = fs_.locate(dir, path, follows(a[1]) && !(creat && excl), l); e != Errno::success) return e;
  NodePtr node = l.node;
  if (node) {
    if (creat && excl) return Errno::exist;
    if (l.trailing_slash && !node->is_dir()) return Errno::notdir;
    if (node->kind == NodeKind::symlink) return directory ? Errno::notdir : Errno::loop;  // O_NOFOLLOW
    if (directory && !node->is_dir()) return Errno::notdir;
    if (node->is_dir() && (trunc || (base & wasi::kRightFdWrite))) return Errno::isdir;
  } else {
    if (!creat) return Errno::noent;
    if (directory) return Errno::inval;
    if (Errno e = fs_.create_file(l, node); e != Errno::success) return e;
  }
  if (trunc) fs_.set_size(*node, 0);
  OpenFile file{node->is_dir() ? FdKind::directory : FdKind::file, node};
  file.flags = static_cast<uint16_t>(fdflags);
  file.rights_base = base;
  file.rights_inheriting = inheriting;
  const uint32_t fd = *fds_.insert(std::move(file));
  m.store<uint32_t>(a[8], fd);
  return Errno::success;
}

Errno WasiHost::path_filestat_get(const uint64_t* a, wasm::GuestMemory& m) {
  NodePtr dir, node;
  std::string_view path;
  if (Errno e = dir_path(m, a[0], a[2], a[3], dir, path); e != Errno::success) return e;
  check_range(m, a[4], wasi::filestat::size);
  if (Errno e = fs_.resolve(dir, path, follows(a[1]), node); e != Errno::success) return e;
  write_node_stat(m, a[4], *node);
  return Errno::success;
}

// Times are accepted and dropped, as for fd_filestat_set_times.
Errno WasiHost::path_filestat_set_times(const uint64_t* a, wasm::GuestMemory& m) {
  NodePtr dir, node;
  std::string_view path;
  if (Errno e = dir_path(m, a[0], a[2], a[3], dir, path); e != Errno::success) return e;
  if (!wasi::valid_fstflags(a[6])) return Errno::inval;
  return fs_.resolve(dir, path, follows(a[1]), node);
}

// The calls that take one path and hand it to one VirtualFs operation.
Errno WasiHost::path_only(const uint64_t* a, wasm::GuestMemory& m,
                          Errno (VirtualFs::*op)(const NodePtr&, std::string_view)) {
  NodePtr dir;
  std::string_view path;
  if (Errno e = dir_path(m, a[0], a[1], a[2], dir, path); e != Errno::success) return e;
  return (fs_.*op)(dir, path);
}

Errno WasiHost::path_create_directory(const uint64_t* a, wasm::GuestMemory& m) {
  return path_only(a, m, &VirtualFs::mkdir);
}

Errno WasiHost::path_remove_directory(const uint64_t* a, wasm::GuestMemory& m) {
  return path_only(a, m, &VirtualFs::rmdir);
}

Errno WasiHost::path_unlink_file(const uint64_t* a, wasm::GuestMemory& m) {
  return path_only(a, m, &VirtualFs::unlink);
}

Errno WasiHost::path_rename(const uint64_t* a, wasm::GuestMemory& m) {
  NodePtr from_dir, to_dir;
  std::string_view from, to;
  if (Errno e = dir_path(m, a[0], a[1], a[2], from_dir, from); e != Errno::success) return e;
  if (Errno e = dir_path(m, a[3], a[4], a[5], to_dir, to); e != Errno::success) return e;
  return fs_.rename(from_dir, from, to_dir, to);
}

Errno WasiHost::path_symlink(const uint64_t* a, wasm::GuestMemory& m) {
  NodePtr dir;
  std::string_view target, path;
  if (Errno e = dir_path(m, a[2], a[3], a[4], dir, path); e != Errno::success) return e;
  if (Errno e = path_arg(m, a[0], a[1], target); e != Errno::success) return e;
  return fs_.symlink(target, dir, path);
}

// The target, cut to the buffer (as POSIX readlink does); bufused says how much was written.
Errno WasiHost::path_readlink(const uint64_t* a, wasm::GuestMemory& m) {
  NodePtr dir;
  std::string_view path;
  if (Errno e = dir_path(m, a[0], a[1], a[2], dir, path); e != Errno::success) return e;
  check_range(m, a[3], a[4]);
  check_range(m, a[5], 4);
  std::string target;
  if (Errno e = fs_.readlink(dir, path, target); e != Errno::success) return e;
  const uint64_t n = std::min<uint64_t>(target.size(), a[4]);
  m.write_bytes(a[3], target.data(), n);
  m.store<uint32_t>(a[5], static_cast<uint32_t>(n));
  return Errno::success;
}

// Hard links cannot be expressed in the directory Tree format (a Tree holds contents, not shared
// inodes), so they are refused rather than faked with a copy.
Errno WasiHost::path_link(const uint64_t* a, wasm::GuestMemory&) {
  NodePtr dir;
  if (Errno e = directory_fd(a[0], dir); e != Errno::success) return e;
  if (Errno e = directory_fd(a[4], dir); e != Errno::success) return e;
  return Errno::notsup;
}

}  // namespace fixnet::flatware
