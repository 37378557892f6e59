#include "cli/lib/directory_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "cli/lib/text.h"
#include "core/error.h"

namespace fixnet::cli {
namespace {

// Files up to this size are read into memory; larger ones are mapped so a multi-gigabyte file
// does not need a multi-gigabyte buffer. (A mapped file that another process truncates while it is
// being added would fault; the threshold keeps that window to large files, as git's does.)
constexpr uint64_t kMapThreshold = 64 << 20;
// Progress is reported per chunk of a large file while its pages are read in.
constexpr uint64_t kProgressChunk = 8 << 20;

[[noreturn]] void fail(const std::string& path, std::string_view what, int err) {
  throw InputError(fmt::format("{}: {}: {}", one_line(path, 200), what, std::strerror(err)));
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class Mapping {
 public:
  Mapping(void* data, size_t size) : data_(data), size_(size) {}
  ~Mapping() {
    if (data_ != MAP_FAILED) ::munmap(data_, size_);
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  bool ok() const { return data_ != MAP_FAILED; }
  std::string_view view() const { return {static_cast<const char*>(data_), size_}; }

 private:
  void* data_;
  size_t size_;
};

class Adder {
 public:
  Adder(ObjectStore& store, const AddProgressFn& progress, uint64_t total)
      : store_(store), progress_(progress), total_(total) {}

  Name add(const std::string& path, const struct stat& st) {
    if (S_ISREG(st.st_mode)) return add_file(path);
    if (S_ISDIR(st.st_mode)) return add_directory(path);
    if (S_ISLNK(st.st_mode)) return add_symlink(path, st);
    throw InputError(
        fmt::format("{}: cannot add a {}: only files, directories and symbolic links "
                    "are stored",
                    one_line(path, 200), kind_of(st.st_mode)));
  }

  AddResult result;

 private:
  static const char* kind_of(mode_t mode) {
    if (S_ISSOCK(mode)) return "socket";
    if (S_ISFIFO(mode)) return "FIFO";
    if (S_ISCHR(mode)) return "character device";
    if (S_ISBLK(mode)) return "block device";
    return "special file";
  }

  // Progress counts each file's bytes twice over: once as they are read, once as they are
  // hashed and stored, so the bar keeps moving through a large file's whole journey.
  void advance(uint64_t units) {
    progress_done_ += units;
    if (progress_) progress_(progress_done_ / 2, total_);
  }

  Name add_file(const std::string& path) {
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) fail(path, "cannot open", errno);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) fail(path, "cannot stat", errno);
    ++result.files;
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size >= kMapThreshold) {
      Mapping map(::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0), size);
      if (map.ok()) return add_mapped(map.view());
      // Some filesystems cannot map; fall through to reading.
    }
    std::string bytes;
    bytes.reserve(size);
    char buffer[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail(path, "cannot read", errno);
      }
      if (n == 0) break;
      bytes.append(buffer, static_cast<size_t>(n));
    }
    advance(bytes.size());
    Name name = store_.put_blob(bytes);
    advance(bytes.size());
    result.bytes += bytes.size();
    return name;
  }

  Name add_mapped(std::string_view bytes) {
    ::madvise(const_cast<char*>(bytes.data()), bytes.size(), MADV_SEQUENTIAL);
    // Touch the pages chunk by chunk so the bar moves while a large file is read from disk; the
    // hash below then runs over memory. (Reading dominates on a cold cache.)
    volatile char sink = 0;
    uint64_t reported = 0;
    const long page = ::sysconf(_SC_PAGESIZE);
    for (uint64_t offset = 0; offset < bytes.size(); offset += static_cast<uint64_t>(page)) {
      sink = sink + bytes[offset];
      if (offset - reported >= kProgressChunk) {
        advance(offset - reported);
        reported = offset;
      }
    }
    advance(bytes.size() - reported);
    Name name = store_.put_blob(bytes);
    advance(bytes.size());
    result.bytes += bytes.size();
    return name;
  }

  Name add_symlink(const std::string& path, const struct stat& st) {
    std::string target(static_cast<size_t>(std::max<off_t>(st.st_size, 0)) + 1, '\0');
    for (;;) {
      const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
      if (n < 0) fail(path, "cannot read the symbolic link", errno);
      if (static_cast<size_t>(n) < target.size()) {
        target.resize(static_cast<size_t>(n));
        break;
      }
      target.resize(target.size() * 2);  // the link changed under us; try a larger buffer
    }
    return store_.put_blob(target);
  }

  Name add_directory(const std::string& path) {
    ++result.directories;
    std::vector<std::string> names;
    {
      DIR* dir = ::opendir(path.c_str());
      if (dir == nullptr) fail(path, "cannot open the directory", errno);
      errno = 0;
      while (const dirent* entry = ::readdir(dir)) {
        std::string_view name = entry->d_name;
        if (name != "." && name != "..") names.emplace_back(name);
        errno = 0;
      }
      const int err = errno;
      ::closedir(dir);
      if (err != 0) fail(path, "cannot list the directory", err);
    }
    // Bytewise order, so the same directory gives the same Tree on every machine and locale.
    std::sort(names.begin(), names.end());
    std::vector<Name> entries;
    entries.reserve(names.size());
    for (const std::string& name : names) {
      const std::string child = path.ends_with('/') ? path + name : path + "/" + name;
      struct stat st;
      if (::lstat(child.c_str(), &st) != 0) fail(child, "cannot stat", errno);
      Name content = add(child, st);
      const auto mode = static_cast<uint32_t>(st.st_mode & (S_IFMT | 07777));
      entries.push_back(
          store_.put_tree({store_.put_blob(name), store_.put_blob(mode_bytes(mode)), content}));
    }
    return store_.put_tree(std::move(entries));
  }

  ObjectStore& store_;
  const AddProgressFn& progress_;
  uint64_t total_;
  uint64_t progress_done_ = 0;  // in half-bytes: see advance()
};

}  // namespace

std::string mode_bytes(uint32_t mode) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(mode >> (8 * i));
  return out;
}

uint64_t measure_path(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  if (S_ISREG(st.st_mode)) return static_cast<uint64_t>(st.st_size);
  if (!S_ISDIR(st.st_mode)) return 0;
  uint64_t total = 0;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return 0;
  while (const dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    const std::string child = path + "/" + std::string(name);
    struct stat child_st;
    if (::lstat(child.c_str(), &child_st) != 0) continue;
    if (S_ISREG(child_st.st_mode)) total += static_cast<uint64_t>(child_st.st_size);
    if (S_ISDIR(child_st.st_mode)) total += measure_path(child);
  }
  ::closedir(dir);
  return total;
}

AddResult add_path(ObjectStore& store, const std::string& path, const AddProgressFn& progress,
                   uint64_t progress_total) {
  // A path named on the command line is followed when it is a link: `fixnet add link` means the
  // file the user sees there.
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) fail(path, "cannot add", errno);
  Adder adder(store, progress, progress_total);
  Name name = adder.add(path, st);
  adder.result.name = name;
  return adder.result;
}

}  // namespace fixnet::cli
