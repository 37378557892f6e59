#include "cli/lib/checkout.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "cli/lib/directory_tree.h"
#include "cli/lib/text.h"
#include "core/error.h"

namespace fixnet::cli {
namespace {

struct Entry {
  Name entry;  // the whole [name, mode, content] Tree: equal Names mean nothing changed
  uint32_t mode = 0;
  Name content;
};

uint32_t mode_of(ObjectStore& store, Name blob) {
  const BlobData bytes = store.get_blob(blob);
  if (bytes->size() != 4) throw InputError("a directory Tree entry has a mode that is not 4 bytes");
  return static_cast<uint32_t>(read_u64_le(*bytes));
}

void check_entry_name(std::string_view name, const std::string& where) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos)
    throw InputError(fmt::format("{}: refusing the entry name \"{}\" (it could leave the output directory)",
                                 one_line(where, 200), one_line(name, 60)));
}

// The entries of a directory Tree by name (Name() → none).
std::map<std::string, Entry, std::less<>> entries_of(ObjectStore& store, Name dir, const std::string& where) {
  std::map<std::string, Entry, std::less<>> out;
  if (dir == Name()) return out;
  const TreeData entries = store.get_tree(dir);
  for (Name e : *entries) {
    const TreeData fields = store.get_tree(e);
    if (fields->size() != 3) throw InputError(fmt::format("{}: a directory entry is not [name, mode, content]", where));
    std::string name(*store.get_blob((*fields)[0]));
    check_entry_name(name, where);
    out.emplace(std::move(name), Entry{e, mode_of(store, (*fields)[1]), (*fields)[2]});
  }
  return out;
}

[[noreturn]] void io_fail(const std::string& path, std::string_view what) {
  throw InputError(fmt::format("{}: {}: {}", one_line(path, 200), what, std::strerror(errno)));
}

class Writer {
 public:
  Writer(ObjectStore& store, CheckoutResult& result, std::string root)
      : store_(store), result_(result), root_(std::move(root)) {}

  // Writes the differences of directory `after` against `before` into the open directory `dir`.
  void directory(int dir, Name before, Name after, const std::string& path) {
    auto old_entries = entries_of(store_, before, path);
    for (const auto& [name, entry] : entries_of(store_, after, path)) {
      const std::string child = path.empty() ? name : path + "/" + name;
      auto old = old_entries.find(name);
      const Name old_content = old == old_entries.end() ? Name() : old->second.content;
      if (old != old_entries.end()) {
        if (old->second.entry == entry.entry) {
          old_entries.erase(old);
          continue;
        }
        old_entries.erase(old);
      }
      const uint32_t type = entry.mode & S_IFMT;
      if (type == S_IFDIR) {
        subdirectory(dir, name, child, entry.mode,
                     (old_content != Name() && old_content.is_tree()) ? old_content : Name(), entry.content);
      } else if (type == S_IFLNK) {
        link(dir, name, child, entry.content);
      } else {
        file(dir, name, child, entry.mode, entry.content);
      }
    }
    for (const auto& [name, entry] : old_entries) result_.removed.push_back(path.empty() ? name : path + "/" + name);
  }

 private:
  // Whether `name` in `dir` is a symbolic link (then nothing may be written through it).
  static void refuse_link(int dir, const std::string& name, const std::string& path) {
    struct stat st;
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
      throw InputError(fmt::format("{}: is a symbolic link in the output directory; refusing to write through "
                                   "it (remove it or choose another --out)",
                                   one_line(path, 200)));
  }

  void subdirectory(int dir, const std::string& name, const std::string& path, uint32_t mode, Name before,
                    Name after) {
    refuse_link(dir, name, path);
    if (::mkdirat(dir, name.c_str(), 0700) != 0 && errno != EEXIST) fail(path, "cannot create the directory");
    const int sub = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) fail(path, "cannot open the directory");
    ++result_.directories;
    try {
      directory(sub, before, after, path);
    } catch (...) {
      ::close(sub);
      throw;
    }
    ::fchmod(sub, mode & 07777);
    ::close(sub);
  }

  void link(int dir, const std::string& name, const std::string& path, Name target) {
    const std::string text(*store_.get_blob(target));
    refuse_link(dir, name, path);
    ::unlinkat(dir, name.c_str(), 0);
    if (::symlinkat(text.c_str(), dir, name.c_str()) != 0) fail(path, "cannot create the symbolic link");
    ++result_.links;
  }

  void file(int dir, const std::string& name, const std::string& path, uint32_t mode, Name content) {
    const BlobData bytes = store_.get_blob(content);
    refuse_link(dir, name, path);
    // A fresh file beside it, renamed over: a reader never sees half a file.
    const std::string tmp = "." + name + ".fixnet-tmp";
    const int fd = ::openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) fail(path, "cannot create the file");
    size_t done = 0;
    while (done < bytes->size()) {
      const ssize_t n = ::write(fd, bytes->data() + done, bytes->size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = errno;
        ::close(fd);
        ::unlinkat(dir, tmp.c_str(), 0);
        errno = err;
        fail(path, "cannot write (is the disk full?)");
      }
      done += static_cast<size_t>(n);
    }
    ::fchmod(fd, mode & 07777);
    if (::close(fd) != 0 || ::renameat(dir, tmp.c_str(), dir, name.c_str()) != 0) {
      const int err = errno;
      ::unlinkat(dir, tmp.c_str(), 0);
      errno = err;
      fail(path, "cannot write");
    }
    ++result_.files;
    result_.bytes += bytes->size();
  }

  // Messages name the path on the host, not inside the tree.
  [[noreturn]] void fail(const std::string& path, std::string_view what) { io_fail(root_ + "/" + path, what); }

  ObjectStore& store_;
  CheckoutResult& result_;
  std::string root_;
};

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    const size_t j = std::min(path.find('/', i), path.size());
    if (j > i) {
      std::string part(path.substr(i, j - i));
      if (part == "." || part == "..")
        throw InputError(fmt::format("guest path \"{}\": \".\" and \"..\" are not allowed; give an absolute path "
                                     "like /data",
                                     one_line(path, 200)));
      out.push_back(std::move(part));
    }
    i = j + 1;
  }
  return out;
}

std::string entry_name(ObjectStore& store, Name entry) { return std::string(*store.get_blob((*store.get_tree(entry))[0])); }

// The directory Trees `a` and `b` merged: entries of both, `b`'s winning a name both have, except that
// two directories of one name are merged in turn (as copying b over a would leave them).
Name merge_directories(ObjectStore& store, Name a, Name b) {
  std::map<std::string, Name> entries;
  for (Name e : *store.get_tree(a)) entries[entry_name(store, e)] = e;
  for (Name e : *store.get_tree(b)) {
    const std::string name = entry_name(store, e);
    auto it = entries.find(name);
    const TreeData mine = store.get_tree(e);
    if (it != entries.end()) {
      const TreeData theirs = store.get_tree(it->second);
      if ((mode_of(store, (*mine)[1]) & S_IFMT) == S_IFDIR && (mode_of(store, (*theirs)[1]) & S_IFMT) == S_IFDIR) {
        it->second = store.put_tree({(*mine)[0], (*mine)[1], merge_directories(store, (*theirs)[2], (*mine)[2])});
        continue;
      }
    }
    entries[name] = e;
  }
  std::vector<Name> out;
  for (auto& [name, e] : entries) out.push_back(e);  // std::map: bytewise order of names
  return store.put_tree(std::move(out));
}

Name mount_at(ObjectStore& store, Name dir, const std::vector<std::string>& parts, size_t i, Name subtree) {
  if (i == parts.size()) return dir == Name() ? subtree : merge_directories(store, dir, subtree);
  std::vector<Name> entries = dir == Name() ? std::vector<Name>{} : *store.get_tree(dir);
  const Name dir_mode = store.put_blob(mode_bytes(S_IFDIR | 0755));
  for (Name& e : entries) {
    const TreeData fields = store.get_tree(e);
    if (fields->size() != 3 || *store.get_blob((*fields)[0]) != parts[i]) continue;
    const uint32_t mode = mode_of(store, (*fields)[1]);
    if ((mode & S_IFMT) != S_IFDIR)
      throw InputError(fmt::format("cannot mount at /{}: \"{}\" is a file in the tree", fmt::join(parts, "/"),
                                   parts[i]));
    e = store.put_tree({(*fields)[0], (*fields)[1], mount_at(store, (*fields)[2], parts, i + 1, subtree)});
    return store.put_tree(std::move(entries));
  }
  entries.push_back(store.put_tree({store.put_blob(parts[i]), dir_mode, mount_at(store, Name(), parts, i + 1, subtree)}));
  // Bytewise order of names, as the format requires.
  std::sort(entries.begin(), entries.end(),
            [&](Name a, Name b) { return entry_name(store, a) < entry_name(store, b); });
  return store.put_tree(std::move(entries));
}

}  // namespace

Name empty_directory(ObjectStore& store) { return store.put_tree({}); }

CheckoutResult write_changes(ObjectStore& store, Name before, Name after, const std::string& out) {
  if (::mkdir(out.c_str(), 0755) != 0 && errno != EEXIST) io_fail(out, "cannot create the output directory");
  const int dir = ::open(out.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) io_fail(out, "cannot open the output directory");
  CheckoutResult result;
  try {
    Writer(store, result, out).directory(dir, before, after, "");
  } catch (...) {
    ::close(dir);
    throw;
  }
  ::close(dir);
  return result;
}

Name mount_tree(ObjectStore& store, Name root, std::string_view guest_path, Name subtree) {
  return mount_at(store, root, components(guest_path), 0, subtree);
}

}  // namespace fixnet::cli
