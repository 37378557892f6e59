// Repository: objects as files named by their content Name, relations as checksummed append-only
// segments, labels as one-line files. The layout is documented in docs/format.md ("Repository").
#include "core/repository.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"

namespace fixnet {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kFormatText = "fixnet repository\nlayout 1\nname-layout 1\n";
constexpr int kLayout = 1;

// Relation segment: "FXRL", u32 LE version, u64 LE count, count × 65-byte records, SHA-256.
constexpr std::string_view kSegmentMagic = "FXRL";
constexpr uint32_t kSegmentVersion = 1;
constexpr size_t kSegmentHeader = 16;
constexpr size_t kRecordSize = 65;
constexpr size_t kChecksumSize = 32;
constexpr std::string_view kSegmentSuffix = ".seg";
// More segments than this and flush() merges them, so opening stays one read per few segments.
constexpr size_t kCompactAfter = 16;
// gc removes temporary files only once they are this old: younger ones may be a live write.
constexpr auto kTmpGrace = std::chrono::hours(1);
constexpr size_t kMaxLabel = 200;
constexpr size_t kMaxCandidates = 5;

struct Record {
  Relation relation;
  Name key;
  Name value;
};

// ---------------------------------------------------------------------------------------------
// Errors

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r returns the message (maybe not in buf); XSI returns an int. Handle both.
  auto decode = [&](auto result) -> std::string {
    if constexpr (std::is_same_v<decltype(result), int>)
      return buf;
    else
      return result;
  };
  return decode(strerror_r(err, buf, sizeof buf));
}

// What the user can do about an errno from a write.
std::string_view write_fix(int err) {
  switch (err) {
    case ENOSPC:
      return "free space on that filesystem and retry";
    case EDQUOT:
      return "free space or raise your disk quota and retry";
    case EROFS:
      return "remount that filesystem read-write, or point FIXNET_DIR at a writable repository";
    case EACCES:
    case EPERM:
      return "check the permissions of the repository directory";
    case EIO:
      return "the device reported an I/O error: check the disk (dmesg) and run 'fixnet fsck'";
    case EMFILE:
    case ENFILE:
      return "raise the open-file limit (ulimit -n) and retry";
    default:
      return "check the filesystem and retry";
  }
}

std::string_view read_fix(int err) {
  switch (err) {
    case EACCES:
    case EPERM:
      return "check the permissions of the repository directory";
    case EIO:
      return "the device reported an I/O error: check the disk (dmesg) and run 'fixnet fsck'";
    case EMFILE:
    case ENFILE:
      return "raise the open-file limit (ulimit -n) and retry";
    default:
      return "check the filesystem and retry";
  }
}

[[noreturn]] void throw_write_error(std::string_view what, const fs::path& path, int err) {
  throw EnvironmentError(
      fmt::format("cannot write {} to {}: {} — {}", what, path.string(), errno_text(err), write_fix(err)));
}

[[noreturn]] void throw_read_error(std::string_view what, const fs::path& path, int err) {
  throw EnvironmentError(
      fmt::format("cannot read {} from {}: {} — {}", what, path.string(), errno_text(err), read_fix(err)));
}

void warn(const std::string& message) { fmt::print(stderr, "fixnet: warning: {}\n", message); }

// ---------------------------------------------------------------------------------------------
// Files

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and returns the errno close reported (0 if none): some filesystems report write
  // errors only here.
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

// Reads the whole file into `out`. Returns 0 or an errno. If `expected_size` is given and the file
// has another size, returns 0 with `actual_size` set and `out` empty: no need to read a file that
// is already known to be wrong (it might be huge).
int read_file(const fs::path& path, std::string& out, uint64_t* actual_size = nullptr,
              std::optional<uint64_t> expected_size = std::nullopt) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return errno;
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return errno;
  const auto size = static_cast<uint64_t>(st.st_size);
  if (actual_size) *actual_size = size;
  out.clear();
  if (expected_size && *expected_size != size) return 0;
  out.resize(size);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd.get(), out.data() + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;  // the file shrank while we read it; the caller sees the short size
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  if (actual_size) *actual_size = done;
  return 0;
}

int fsync_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return errno;
  if (::fsync(fd.get()) != 0 && errno != EINVAL) return errno;  // EINVAL: fs without dir fsync
  return 0;
}

// Unique across threads and processes (and hosts sharing a filesystem, by the random token).
std::string unique_suffix() {
  static const uint64_t token = [] {
    std::random_device rd;
    return (uint64_t{rd()} << 32) ^ rd();
  }();
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}-{}-{:016x}", ::getpid(), counter.fetch_add(1), token);
}

bool file_exists(const fs::path& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

// Creates `dir` if missing; `what` and `target` name the write it is for, in the error.
void ensure_dir(const fs::path& dir, std::string_view what, const fs::path& target) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) return;  // checked first: mkdir on a read-only fs says EROFS
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw_write_error(what, target, errno);
}

// Writes `data` to a new temporary file in `tmp_dir` and returns its path; with `sync`, fsyncs it.
// On failure nothing is left behind and the error names `target`.
fs::path write_temporary(const fs::path& tmp_dir, const fs::path& target, std::string_view data, mode_t mode,
                         std::string_view what, bool sync) {
  const fs::path tmp = tmp_dir / (unique_suffix() + ".tmp");
  int raw = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (raw < 0 && errno == ENOENT) {  // tmp/ was removed by hand: recreate it once
    ensure_dir(tmp_dir, what, target);
    raw = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  }
  if (raw < 0) throw_write_error(what, target, errno);
  Fd fd(raw);
  int err = write_all(fd.get(), data);
  if (err == 0 && sync && ::fsync(fd.get()) != 0) err = errno;
  if (int close_err = fd.close(); err == 0) err = close_err;
  if (err != 0) {
    ::unlink(tmp.c_str());
    throw_write_error(what, target, err);
  }
  return tmp;
}

// Writes `data` to `target` so that readers see the old file, or none, or all of the new one: a
// temporary file in `tmp_dir`, fsync, rename. On failure nothing is left behind.
void write_atomically(const fs::path& tmp_dir, const fs::path& target, std::string_view data, mode_t mode,
                      std::string_view what) {
  const fs::path tmp = write_temporary(tmp_dir, target, data, mode, what, /*sync=*/true);
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_write_error(what, target, err);
  }
}

// Regular files in `dir` (names only), sorted; a missing directory has none.
std::vector<std::string> list_files(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return names;
    throw_read_error("the directory listing", dir, ec.value());
  }
  for (const fs::directory_entry& e : it) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// ---------------------------------------------------------------------------------------------
// Names, hex, labels

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > kMaxLabel || label[0] == '.' || label[0] == '-') return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

void check_label(std::string_view label) {
  if (!valid_label(label))
    throw InputError(
        fmt::format("'{}' is not a valid label — use 1 to {} characters from A-Z a-z 0-9 . _ -, not starting "
                    "with '.' or '-'",
                    label, kMaxLabel));
}

// A label file holds 64 hex digits and a newline. Returns the Name or why it is malformed.
std::optional<Name> parse_label(std::string_view text, std::string& why) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.size() != 64 || !is_hex(text)) {
    why = fmt::format("expected 64 hex digits and a newline, found {} bytes", text.size());
    return std::nullopt;
  }
  try {
    return Name::from_hex(text);
  } catch (const InputError& e) {
    why = e.what();
    return std::nullopt;
  }
}

// The Name an object file is named by: canonical content, no roles. Blobs of ≤ 30 bytes are
// literal and never stored, so a "canonical" one is not a name any put produces.
bool is_storable(Name n) {
  return n.how() == How::Canonical && n == n.content_name() &&
         (n.content() == Content::Tree || n.size() > Name::kMaxLiteral);
}

bool newer(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec;
}

std::string short_kind(Name n) { return fmt::format("{} ({})", n.short_hex(16), kind_name(n.kind())); }

// ---------------------------------------------------------------------------------------------
// Objects

uint64_t file_size_for(Name content) {
  return content.content() == Content::Tree ? content.size() * sizeof(Name) : content.size();
}

// Checks that `bytes` are the content `content` names. Returns "" or what is wrong. For a Tree,
// fills `entries`.
std::string object_problem(Name content, std::string_view bytes, std::vector<Name>* entries) {
  const uint64_t expected = file_size_for(content);
  if (bytes.size() != expected)
    return fmt::format("size is {} bytes, the Name says {}", bytes.size(), expected);
  if (content.content() == Content::Blob)
    return Name::blob_name(bytes) == content ? "" : "content hash does not match the Name";
  std::vector<Name> parsed(content.size());
  if (!bytes.empty()) std::memcpy(parsed.data(), bytes.data(), bytes.size());
  if (Name::tree_name(parsed) != content) return "content hash does not match the Name";
  for (size_t i = 0; i < parsed.size(); ++i) {
    try {
      Name::from_bytes(parsed[i].bytes(), fmt::format("tree entry {}", i));
    } catch (const InputError& e) {
      return e.what();
    }
  }
  if (entries) *entries = std::move(parsed);
  return "";
}

// ---------------------------------------------------------------------------------------------
// Segments

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t get_le(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(in[at + i])} << (8 * i);
  return v;
}

std::string encode_segment(const std::vector<Record>& records) {
  std::string out;
  out.reserve(kSegmentHeader + records.size() * kRecordSize + kChecksumSize);
  out.append(kSegmentMagic);
  put_le(out, kSegmentVersion, 4);
  put_le(out, records.size(), 8);
  for (const Record& r : records) {
    out.push_back(static_cast<char>(r.relation));
    out.append(reinterpret_cast<const char*>(r.key.bytes().data()), sizeof(Name));
    out.append(reinterpret_cast<const char*>(r.value.bytes().data()), sizeof(Name));
  }
  auto sum = sha256(out);
  out.append(reinterpret_cast<const char*>(sum.data()), sum.size());
  return out;
}

Name record_name(std::string_view data, size_t at, size_t index, std::string_view role) {
  std::span<const uint8_t> raw(reinterpret_cast<const uint8_t*>(data.data()) + at, sizeof(Name));
  Name n = Name::from_bytes(raw, fmt::format("record {} {}", index, role));
  if (n.how() == How::Local)
    throw InputError(fmt::format("record {} {}: a process-local Name cannot be stored", index, role));
  return n;
}

// Parses and verifies a segment. Returns "" or what is wrong with it.
std::string decode_segment(std::string_view data, std::vector<Record>& out) {
  if (data.size() < kSegmentHeader + kChecksumSize)
    return fmt::format("too short for a relation segment ({} bytes)", data.size());
  if (data.substr(0, 4) != kSegmentMagic) return "not a relation segment (bad magic)";
  const uint64_t version = get_le(data, 4, 4);
  if (version != kSegmentVersion)
    return fmt::format("segment version {}, this fixnet reads version {} — upgrade fixnet", version,
                       kSegmentVersion);
  const uint64_t count = get_le(data, 8, 8);
  const uint64_t body = data.size() - kSegmentHeader - kChecksumSize;
  if (body % kRecordSize != 0 || body / kRecordSize != count)
    return fmt::format("size {} bytes does not fit its record count {}", data.size(), count);
  const std::string_view covered = data.substr(0, data.size() - kChecksumSize);
  auto sum = sha256(covered);
  if (std::memcmp(sum.data(), data.data() + covered.size(), kChecksumSize) != 0)
    return "checksum does not match (the file is damaged)";
  out.clear();
  out.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    const size_t at = kSegmentHeader + i * kRecordSize;
    const auto rel = static_cast<uint8_t>(data[at]);
    if (rel != static_cast<uint8_t>(Relation::Think) && rel != static_cast<uint8_t>(Relation::Eval))
      return fmt::format("record {}: unknown relation {}", i, rel);
    try {
      out.push_back({static_cast<Relation>(rel), record_name(data, at + 1, i, "key"),
                     record_name(data, at + 33, i, "value")});
    } catch (const InputError& e) {
      return e.what();
    }
  }
  return "";
}

using RelationKey = std::pair<uint8_t, Name>;
using RelationMap = std::map<RelationKey, Name>;

RelationKey key_of(const Record& r) { return {static_cast<uint8_t>(r.relation), r.key}; }

std::vector<Record> records_of(const RelationMap& map) {
  std::vector<Record> out;
  out.reserve(map.size());
  for (const auto& [k, v] : map) out.push_back({static_cast<Relation>(k.first), k.second, v});
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct Repository::Impl {
  explicit Impl(fs::path d) : dir(std::move(d)) {}
  ~Impl() {
    if (dir_fd >= 0) ::close(dir_fd);
  }

  fs::path dir;
  int dir_fd = -1;  // for syncfs()
  MemoryStore cache;
  MemoryRelations relations;
  std::once_flag loaded;
  std::mutex pending_mutex;
  std::vector<Record> pending;  // put but not yet in a segment, oldest first
  std::mutex flush_mutex;       // one flush, compaction or gc at a time
  // Shared by every put in this process, exclusive for gc: nothing is written between gc's
  // reachability scan and its removals.
  std::shared_mutex writers;

  fs::path objects_dir() const { return dir / "objects"; }
  fs::path relations_dir() const { return dir / "relations"; }
  fs::path labels_dir() const { return dir / "labels"; }
  fs::path tmp_dir() const { return dir / "tmp"; }
  fs::path object_path(Name content) const {
    const std::string hex = content.hex();
    return objects_dir() / hex.substr(0, 2) / hex.substr(2);
  }
  fs::path label_path(std::string_view label) const { return labels_dir() / std::string(label); }

  // --- objects

  // Objects are committed in groups: each is written to tmp/ at once (so a full disk fails the put
  // that caused it), and commit_objects() makes a group durable with one syncfs() and then renames
  // it into objects/. An fsync per object costs milliseconds; a group costs one sync. A crash
  // before the renames leaves only temporary files, which fsck ignores and gc removes.
  struct Staged {
    Name name;
    fs::path tmp, target;
  };
  static constexpr size_t kMaxStaged = 4096;
  static constexpr auto kMaxStagedAge = std::chrono::seconds(30);
  std::mutex staged_mutex;
  std::vector<Staged> staged;
  std::chrono::steady_clock::time_point oldest_staged;
  std::mutex commit_mutex;  // held through a whole commit, so flush() waits for one under way

  void store_object(Name content, std::string_view bytes) {
    const fs::path path = object_path(content);
    struct stat st;
    // Already there with the right size: content addressing makes it the same object. (A file
    // of the wrong size is a damaged copy; writing again repairs it.)
    if (::stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) == bytes.size()) return;
    const std::string what = fmt::format("object {}", content.hex());
    ensure_dir(path.parent_path(), what, path);
    fs::path tmp;
    try {
      tmp = write_temporary(tmp_dir(), path, bytes, 0444, what, /*sync=*/false);
    } catch (const EnvironmentError&) {
      // The disk is full or read-only: make what was already accepted durable (or, failing that,
      // forget it so a later put writes it again) before reporting this object's failure.
      try {
        commit_objects();
      } catch (const EnvironmentError&) {
      }
      throw;
    }
    bool commit_now = false;
    {
      std::lock_guard lock(staged_mutex);
      const auto now = std::chrono::steady_clock::now();
      if (staged.empty()) oldest_staged = now;
      staged.push_back({content, std::move(tmp), path});
      commit_now = staged.size() >= kMaxStaged || now - oldest_staged > kMaxStagedAge;
    }
    if (commit_now) commit_objects();
  }

  // Makes every staged object durable, then visible in objects/, then the renames durable — so
  // relations and labels written after it never outlive what they mention.
  void commit_objects() {
    std::lock_guard committing(commit_mutex);
    std::vector<Staged> batch;
    {
      std::lock_guard lock(staged_mutex);
      batch.swap(staged);
    }
    if (batch.empty()) return;
    // Objects that could not be committed are forgotten, so that putting them again writes them.
    auto discard = [&](size_t from) {
      for (size_t i = from; i < batch.size(); ++i) {
        ::unlink(batch[i].tmp.c_str());
        cache.erase(batch[i].name);
      }
    };
    try {
      sync_objects();
    } catch (...) {
      discard(0);
      throw;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (::rename(batch[i].tmp.c_str(), batch[i].target.c_str()) != 0) {
        const int err = errno;
        discard(i);
        throw_write_error(fmt::format("{} objects", batch.size() - i), batch[i].target, err);
      }
    }
    sync_objects();
  }

  // Reads the object from disk, verifying it against its Name. Throws NotFoundError when absent,
  // EnvironmentError when unreadable or corrupt.
  std::string load_object(Name content, std::vector<Name>* entries) {
    const fs::path path = object_path(content);
    if (!is_storable(content))
      throw NotFoundError(fmt::format("object {} is not in the repository {}", content.hex(), dir.string()));
    std::string bytes;
    uint64_t actual = 0;
    int err = read_file(path, bytes, &actual, file_size_for(content));
    if (err == ENOENT)
      throw NotFoundError(fmt::format("object {} is not in the repository {}", content.hex(), dir.string()));
    if (err != 0) throw_read_error(fmt::format("object {}", content.hex()), path, err);
    std::string problem = actual != file_size_for(content) ? fmt::format("size is {} bytes, the Name says {}",
                                                                         actual, file_size_for(content))
                                                           : object_problem(content, bytes, entries);
    if (!problem.empty())
      throw EnvironmentError(fmt::format("object {} is corrupt ({}): {} — run 'fixnet fsck'", content.hex(),
                                         path.string(), problem));
    return bytes;
  }

  // Checks one object file for fsck; returns "" or the problem.
  std::string check_object_file(Name content) {
    const fs::path path = object_path(content);
    std::string bytes;
    uint64_t actual = 0;
    if (int err = read_file(path, bytes, &actual, file_size_for(content)); err != 0)
      return fmt::format("cannot read: {}", errno_text(err));
    if (actual != file_size_for(content))
      return fmt::format("size is {} bytes, the Name says {}", actual, file_size_for(content));
    return object_problem(content, bytes, nullptr);
  }

  // Makes every object written so far durable, so relations and labels never outlive what they
  // mention. One syncfs() instead of an fsync of every object directory.
  void sync_objects() {
    if (::syncfs(dir_fd) != 0) {
      const int err = errno;
      throw EnvironmentError(fmt::format("cannot make the objects in {} durable: {} — {}", dir.string(),
                                         errno_text(err), write_fix(err)));
    }
  }

  // Object files on disk (content Names); with `stray`, also the entries that are not objects.
  std::vector<Name> object_names(std::vector<std::string>* stray = nullptr) {
    std::vector<Name> names;
    for (const std::string& sub : list_files(objects_dir())) {
      const fs::path subdir = objects_dir() / sub;
      if (sub.size() != 2 || !is_lower_hex(sub) || !fs::is_directory(subdir)) {
        if (stray) stray->push_back("objects/" + sub);
        continue;
      }
      for (const std::string& file : list_files(subdir)) {
        std::optional<Name> n;
        if (file.size() == 62 && is_lower_hex(file)) {
          try {
            n = Name::from_hex(sub + file);
          } catch (const InputError&) {
          }
        }
        if (n && is_storable(*n))
          names.push_back(*n);
        else if (stray)
          stray->push_back("objects/" + sub + "/" + file);
      }
    }
    return names;
  }

  // --- relations

  void ensure_loaded() {
    std::call_once(loaded, [this] {
      for (const std::string& file : segment_files()) {
        std::vector<Record> records;
        std::string problem = read_segment(file, records);
        if (!problem.empty()) {
          warn(fmt::format("skipping relation segment {}: {} — run 'fixnet fsck'",
                           (relations_dir() / file).string(), problem));
          continue;
        }
        // Segments are loaded oldest first (their names start with the time), so newer win.
        for (const Record& r : records) relations.put(r.relation, r.key, r.value);
      }
    });
  }

  std::vector<std::string> segment_files() {
    std::vector<std::string> out;
    for (std::string& f : list_files(relations_dir()))
      if (f.ends_with(kSegmentSuffix)) out.push_back(std::move(f));
    return out;
  }

  // Returns "" or what is wrong with the segment (unreadable, damaged).
  std::string read_segment(const std::string& file, std::vector<Record>& records) {
    std::string data;
    if (int err = read_file(relations_dir() / file, data); err != 0)
      return fmt::format("cannot read: {}", errno_text(err));
    return decode_segment(data, records);
  }

  // Writes one segment atomically and makes its directory entry durable.
  void write_segment(const std::vector<Record>& records) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    // The time first, so sorted names are oldest first; the rest makes the name unique.
    const fs::path path = relations_dir() / fmt::format("{:016x}-{}{}", ns, unique_suffix(), kSegmentSuffix);
    write_atomically(tmp_dir(), path, encode_segment(records), 0444, "a relation segment");
    if (int err = fsync_dir(relations_dir()); err != 0) throw_write_error("a relation segment", path, err);
  }

  // Every relation in the verified segments on disk (including other processes' segments); the
  // files read go to `read`.
  RelationMap disk_relations(std::vector<std::string>& read) {
    RelationMap all;
    for (const std::string& file : segment_files()) {
      std::vector<Record> records;
      if (!read_segment(file, records).empty()) continue;  // damaged: left for fsck to report
      for (const Record& r : records) all.insert_or_assign(key_of(r), r.value);
      read.push_back(file);
    }
    return all;
  }

  void remove_segments(const std::vector<std::string>& files) {
    for (const std::string& file : files) ::unlink((relations_dir() / file).c_str());
    fsync_dir(relations_dir());  // best effort: a crash before it only leaves duplicates
  }

  void flush() {
    std::lock_guard flushing(flush_mutex);
    ensure_loaded();
    std::vector<Record> batch;
    {
      std::lock_guard lock(pending_mutex);
      batch = pending;
    }
    commit_objects();
    if (batch.empty()) return;
    write_segment(batch);
    {
      // Only flush() and gc() (both under flush_mutex) remove from the front, so the first
      // batch.size() records are still the ones just written.
      std::lock_guard lock(pending_mutex);
      pending.erase(pending.begin(), pending.begin() + static_cast<ptrdiff_t>(batch.size()));
    }
    try {
      compact_if_many();
    } catch (const Error& e) {
      // The relations are durable already; a failed merge only leaves more segments behind.
      warn(fmt::format("could not merge relation segments: {}", e.what()));
    }
  }

  void compact_if_many() {
    if (segment_files().size() <= kCompactAfter) return;
    std::vector<std::string> read;
    RelationMap all = disk_relations(read);
    if (read.size() <= 1) return;
    write_segment(records_of(all));
    remove_segments(read);
  }

  // --- labels

  std::optional<Name> read_label(std::string_view label) {
    const fs::path path = label_path(label);
    std::string text;
    if (int err = read_file(path, text); err != 0) {
      if (err == ENOENT) return std::nullopt;
      throw_read_error(fmt::format("label '{}'", label), path, err);
    }
    std::string why;
    std::optional<Name> name = parse_label(text, why);
    if (!name)
      throw InputError(fmt::format(
          "label file {} is malformed: {} — set it again with 'fixnet label {} <name>' or delete it",
          path.string(), why, label));
    return name;
  }

  // --- gc helpers

  // The current time as the filesystem stamps files (its clock may lag the system clock), read
  // from a marker file; nullopt if it cannot be written (a dry run on a read-only filesystem).
  std::optional<struct timespec> file_clock_now() {
    const fs::path marker = tmp_dir() / ("gc-" + unique_suffix() + ".tmp");
    Fd fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) return std::nullopt;
    struct stat st;
    const bool ok = ::fstat(fd.get(), &st) == 0;
    ::unlink(marker.c_str());
    if (!ok) return std::nullopt;
    return st.st_mtim;
  }

  void remove_old_tmp_files() {
    const auto cutoff = fs::file_time_type::clock::now() - kTmpGrace;
    for (const std::string& file : list_files(tmp_dir())) {
      std::error_code ec;
      const fs::path path = tmp_dir() / file;
      auto when = fs::last_write_time(path, ec);
      if (!ec && when < cutoff) fs::remove(path, ec);
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Opening

Repository::Repository(fs::path dir) : impl_(std::make_unique<Impl>(dir)), dir_(std::move(dir)) {
  impl_->dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (impl_->dir_fd < 0) throw_read_error("the repository", dir_, errno);
  // Recreate directories removed by hand; on a read-only filesystem there is nothing to do.
  for (const char* sub : {"objects", "relations", "labels", "cache", "tmp"})
    ::mkdir((dir_ / sub).c_str(), 0755);
}

Repository::~Repository() {
  try {
    flush();
  } catch (const std::exception& e) {
    size_t unsaved = 0;
    {
      std::lock_guard lock(impl_->pending_mutex);
      unsaved = impl_->pending.size();
    }
    warn(fmt::format("{} relations were not saved: {}", unsaved, e.what()));
  }
}

std::unique_ptr<Repository> Repository::init(const fs::path& dir) {
  const fs::path fixnet_dir = fs::absolute(dir) / ".fixnet";
  for (const char* sub : {"", "objects", "relations", "labels", "cache", "tmp"}) {
    const fs::path path = sub[0] ? fixnet_dir / sub : fixnet_dir;
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec)
      throw EnvironmentError(fmt::format("cannot create repository directory {}: {} — {}", path.string(),
                                         errno_text(ec.value()), write_fix(ec.value())));
  }
  if (!file_exists(fixnet_dir / "FORMAT"))
    write_atomically(fixnet_dir / "tmp", fixnet_dir / "FORMAT", kFormatText, 0644,
                     "the repository format file");
  return open(fixnet_dir);
}

fs::path Repository::locate(const fs::path& start) {
  if (const char* env = std::getenv("FIXNET_DIR"); env && *env) {
    const fs::path dir = fs::absolute(env);
    if (!fs::is_directory(dir))
      throw InputError(fmt::format(
          "FIXNET_DIR={} is not a fixnet repository directory — unset FIXNET_DIR or point it at a "
          ".fixnet directory",
          env));
    return dir;
  }
  const fs::path from = fs::absolute(start).lexically_normal();
  for (fs::path p = from;; p = p.parent_path()) {
    std::error_code ec;
    if (fs::is_directory(p / ".fixnet", ec)) return p / ".fixnet";
    if (p == p.parent_path()) break;
  }
  throw InputError(fmt::format(
      "not a fixnet repository (or any parent up to /): {} — run 'fixnet init' first", start.string()));
}

std::unique_ptr<Repository> Repository::open(const fs::path& fixnet_dir) {
  const fs::path dir = fs::absolute(fixnet_dir).lexically_normal();
  const fs::path format = dir / "FORMAT";
  std::string text;
  if (int err = read_file(format, text); err != 0) {
    if (err == ENOENT || err == ENOTDIR)
      throw InputError(fmt::format("{} is not a fixnet repository (no FORMAT file) — run 'fixnet init' first",
                                   dir.string()));
    throw_read_error("the repository format", format, err);
  }
  auto malformed = [&](std::string_view why) {
    return InputError(
        fmt::format("{} is malformed: {} — restore it from another repository", format.string(), why));
  };
  if (!text.starts_with("fixnet repository\n")) throw malformed("the first line is not 'fixnet repository'");
  std::optional<long> layout, name_layout;
  size_t at = text.find('\n') + 1;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    std::string line = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? text.size() : end + 1;
    if (line.empty()) continue;
    const size_t space = line.find(' ');
    const std::string key = line.substr(0, space);
    const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
    char* rest = nullptr;
    const long number = std::strtol(value.c_str(), &rest, 10);
    if (value.empty() || *rest != '\0') throw malformed(fmt::format("bad line '{}'", line));
    if (key == "layout")
      layout = number;
    else if (key == "name-layout")
      name_layout = number;
    // Unknown keys are ignored: a later minor addition must not lock out this reader.
  }
  if (!layout || !name_layout) throw malformed("missing 'layout' or 'name-layout'");
  if (*layout > kLayout || *name_layout > Name::kLayoutVersion)
    throw InputError(
        fmt::format("repository {} has layout {} (Names version {}); this fixnet reads layout {} (Names "
                    "version {}) — upgrade fixnet",
                    dir.string(), *layout, *name_layout, kLayout, Name::kLayoutVersion));
  if (*layout < 1 || *name_layout < 1) throw malformed("layout versions start at 1");
  return std::unique_ptr<Repository>(new Repository(dir));
}

// ---------------------------------------------------------------------------------------------
// ObjectStore

Name Repository::put_blob(std::string_view bytes) {
  const Name name = Name::blob_name(bytes);
  if (name.is_literal()) return name;
  std::shared_lock writing(impl_->writers);
  if (impl_->cache.contains(name)) return name;
  impl_->store_object(name, bytes);
  impl_->cache.insert_blob(name, std::make_shared<const std::string>(bytes));
  return name;
}

Name Repository::put_tree(std::vector<Name> entries) {
  // A Name that does not parse would make the stored Tree unreadable: refuse it now.
  for (const Name& e : entries) Name::from_bytes(e.bytes(), "tree entry");
  const Name name = Name::tree_name(entries);
  std::shared_lock writing(impl_->writers);
  if (impl_->cache.contains(name)) return name;
  impl_->store_object(name, tree_bytes(entries));
  impl_->cache.insert_tree(name, std::make_shared<const std::vector<Name>>(std::move(entries)));
  return name;
}

BlobData Repository::get_blob(Name name) {
  const Name content = name.content_name();
  if (content.content() != Content::Blob || content.is_literal() || impl_->cache.contains(content)) {
    try {
      return impl_->cache.get_blob(content);  // also answers literals and wrong-kind errors
    } catch (const NotFoundError&) {
      // erased by gc between contains() and get_blob(): read the disk
    }
  }
  auto data = std::make_shared<const std::string>(impl_->load_object(content, nullptr));
  impl_->cache.insert_blob(content, data);
  return data;
}

TreeData Repository::get_tree(Name name) {
  const Name content = name.content_name();
  if (content.content() != Content::Tree || impl_->cache.contains(content)) {
    try {
      return impl_->cache.get_tree(content);
    } catch (const NotFoundError&) {
    }
  }
  std::vector<Name> entries;
  impl_->load_object(content, &entries);
  auto data = std::make_shared<const std::vector<Name>>(std::move(entries));
  impl_->cache.insert_tree(content, data);
  return data;
}

size_t Repository::copy_tree(const Name& name, std::span<Name> out) {
  const Name content = name.content_name();
  if (content.content() != Content::Tree || impl_->cache.contains(content)) {
    try {
      return impl_->cache.copy_tree(content, out);
    } catch (const NotFoundError&) {
    }
  }
  return ObjectStore::copy_tree(name, out);  // reads the disk into the cache
}

bool Repository::contains(Name name) {
  const Name content = name.content_name();
  if (impl_->cache.contains(content)) return true;  // literals too
  return is_storable(content) && file_exists(impl_->object_path(content));
}

std::vector<Name> Repository::objects() {
  impl_->commit_objects();
  return impl_->object_names();
}

// ---------------------------------------------------------------------------------------------
// RelationStore

std::optional<Name> Repository::get(Relation relation, Name key) {
  impl_->ensure_loaded();
  return impl_->relations.get(relation, key);
}

void Repository::put(Relation relation, const Name& key, const Name& value) {
  // A Name that does not parse would make the whole segment unreadable: refuse it now.
  Name::from_bytes(key.bytes(), "relation key");
  Name::from_bytes(value.bytes(), "relation value");
  impl_->ensure_loaded();
  std::shared_lock writing(impl_->writers);
  if (auto old = impl_->relations.get(relation, key); old && *old == value) return;
  impl_->relations.put(relation, key, value);
  // A process-local Name means nothing to another process: remember it, but do not persist it.
  if (key.how() == How::Local || value.how() == How::Local) return;
  std::lock_guard lock(impl_->pending_mutex);
  impl_->pending.push_back({relation, key, value});
}

void Repository::for_each(const std::function<void(Relation, Name, Name)>& fn) {
  impl_->ensure_loaded();
  // Copied first so that `fn` may call back into the repository without deadlocking.
  std::vector<Record> all;
  impl_->relations.for_each([&](Relation r, Name k, Name v) { all.push_back({r, k, v}); });
  for (const Record& r : all) fn(r.relation, r.key, r.value);
}

void Repository::flush() { impl_->flush(); }

// ---------------------------------------------------------------------------------------------
// Labels

void Repository::set_label(const std::string& label, Name name) {
  check_label(label);
  Name::from_bytes(name.bytes(), fmt::format("the Name for label '{}'", label));
  if (name.how() == How::Local)
    throw InputError(
        fmt::format("label '{}': {} is a process-local Name — store the object first and label its Name",
                    label, name.hex()));
  impl_->commit_objects();  // the label must not outlive what it names
  const fs::path path = impl_->label_path(label);
  const std::string what = fmt::format("label '{}'", label);
  ensure_dir(impl_->labels_dir(), what, path);
  write_atomically(impl_->tmp_dir(), path, name.hex() + "\n", 0644, what);
  if (int err = fsync_dir(impl_->labels_dir()); err != 0) throw_write_error(what, path, err);
}

std::optional<Name> Repository::label(const std::string& label) {
  check_label(label);
  return impl_->read_label(label);
}

std::map<std::string, Name> Repository::labels() {
  std::map<std::string, Name> out;
  for (const std::string& file : list_files(impl_->labels_dir())) {
    if (!valid_label(file)) continue;  // not a label (fsck reports it)
    if (auto name = impl_->read_label(file)) out.emplace(file, *name);
  }
  return out;
}

bool Repository::remove_label(const std::string& label) {
  check_label(label);
  const fs::path path = impl_->label_path(label);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return false;
    const int err = errno;
    throw EnvironmentError(fmt::format("cannot remove label '{}' ({}): {} — {}", label, path.string(),
                                       errno_text(err), write_fix(err)));
  }
  fsync_dir(impl_->labels_dir());
  return true;
}

// ---------------------------------------------------------------------------------------------
// resolve

Name Repository::resolve(std::string_view text) {
  const std::string input(text);
  if (valid_label(input))
    if (auto name = impl_->read_label(input)) return *name;
  if (text.size() == 64 && is_hex(text)) return Name::from_hex(text);
  if (text.size() < 4 || text.size() > 63 || !is_hex(text))
    throw InputError(
        fmt::format("'{}' is not a label, a Name (64 hex digits) or a hex prefix of 4 or more digits — run "
                    "'fixnet labels' to see the labels",
                    text));

  const std::string prefix = lower(text);
  impl_->commit_objects();  // objects put by this process are found too
  std::set<Name> found;
  auto consider = [&](Name n) {
    if (n.hex().starts_with(prefix)) found.insert(n);
  };
  // Only the one objects/ subdirectory the prefix selects is listed.
  const std::string sub = prefix.substr(0, 2);
  const std::string rest = prefix.substr(2);
  for (const std::string& file : list_files(impl_->objects_dir() / sub)) {
    if (file.size() != 62 || !file.starts_with(rest)) continue;
    try {
      consider(Name::from_hex(sub + file));
    } catch (const InputError&) {
    }
  }
  impl_->ensure_loaded();
  impl_->relations.for_each([&](Relation, Name k, Name v) {
    consider(k);
    consider(v);
  });
  for (const std::string& file : list_files(impl_->labels_dir())) {
    try {
      if (valid_label(file))
        if (auto name = impl_->read_label(file)) consider(*name);
    } catch (const Error&) {
      // one malformed label must not make every prefix unusable; fsck reports it
    }
  }

  if (found.size() == 1) return *found.begin();
  if (found.empty())
    throw InputError(fmt::format("no object known by '{}' in {} — check the Name or run 'fixnet labels'",
                                 text, dir_.string()));
  // Names that differ only in role share all but the last two digits: show those in full.
  std::map<std::string, int> short_count;
  for (const Name& n : found) ++short_count[n.short_hex(16)];
  std::vector<std::string> shown;
  for (const Name& n : found) {
    if (shown.size() == kMaxCandidates) break;
    const bool clash = short_count[n.short_hex(16)] > 1;
    shown.push_back(fmt::format("{} ({})", clash ? n.hex() : n.short_hex(16), kind_name(n.kind())));
  }
  std::string list = fmt::format("{}", fmt::join(shown, ", "));
  if (found.size() > shown.size()) list += fmt::format(" and {} more", found.size() - shown.size());
  throw InputError(
      fmt::format("'{}' is ambiguous: it starts {} Names: {} — give more digits", text, found.size(), list));
}

// ---------------------------------------------------------------------------------------------
// fsck

FsckReport Repository::fsck(const ProgressFn& progress) {
  impl_->commit_objects();  // objects put by this process are checked too
  FsckReport report;
  auto problem = [&](std::string path, std::string what) {
    report.problems.push_back({std::move(path), std::move(what)});
  };

  // Objects: every file must be named by a canonical content Name and hold exactly that content.
  std::vector<std::string> stray;
  const std::vector<Name> names = impl_->object_names(&stray);
  for (const std::string& path : stray)
    problem(path, "not an object file (the name is not the 64-hex Name of stored content)");
  const std::unordered_set<Name, NameHash> present(names.begin(), names.end());
  for (size_t i = 0; i < names.size(); ++i) {
    std::string what = impl_->check_object_file(names[i]);
    if (!what.empty())
      problem(fs::path(impl_->object_path(names[i])).lexically_relative(dir_).string(), std::move(what));
    ++report.objects_checked;
    if (progress) progress(i + 1, names.size());
  }

  auto missing = [&](Name n) { return !n.is_literal() && !present.count(n.content_name()); };

  // Relations: every segment verifies, and names only objects that are present.
  for (const std::string& file : list_files(impl_->relations_dir())) {
    const std::string rel = "relations/" + file;
    if (!file.ends_with(kSegmentSuffix)) {
      problem(rel, "not a relation segment (stray file)");
      continue;
    }
    std::vector<Record> records;
    if (std::string what = impl_->read_segment(file, records); !what.empty()) {
      problem(rel, what);
      continue;
    }
    for (const Record& r : records) {
      ++report.relations_checked;
      for (auto [role, n] : {std::pair{"key", r.key}, std::pair{"value", r.value}})
        if (missing(n))
          problem(rel,
                  fmt::format("{} {} → {}: the {} {} is not in the repository", relation_name(r.relation),
                              r.key.short_hex(16), r.value.short_hex(16), role, short_kind(n)));
    }
  }

  // Labels: each parses and names an object that is present. (tmp/ leftovers are normal after a
  // crash and not a problem; gc removes them.)
  for (const std::string& file : list_files(impl_->labels_dir())) {
    const std::string rel = "labels/" + file;
    if (!valid_label(file)) {
      problem(rel, "not a valid label name (stray file)");
      continue;
    }
    ++report.labels_checked;
    std::string text, why;
    if (int err = read_file(impl_->label_path(file), text); err != 0) {
      problem(rel, fmt::format("cannot read: {}", errno_text(err)));
      continue;
    }
    std::optional<Name> name = parse_label(text, why);
    if (!name)
      problem(rel, fmt::format("malformed label file: {}", why));
    else if (missing(*name))
      problem(rel, fmt::format("names {}, which is not in the repository", short_kind(*name)));
  }
  return report;
}

// ---------------------------------------------------------------------------------------------
// gc

GcReport Repository::gc(bool dry_run, const ProgressFn& progress) {
  impl_->ensure_loaded();
  std::unique_lock no_writers(impl_->writers);
  std::lock_guard flushing(impl_->flush_mutex);
  impl_->commit_objects();  // staged objects are judged like the rest
  // Another process may be writing while we scan. Objects whose files are newer than this
  // marker were written after gc started and are kept: they may be about to be labelled.
  const std::optional<struct timespec> started = impl_->file_clock_now();

  // Every relation: on disk (other processes' segments too) and in memory (unflushed ones).
  std::vector<std::string> read_segments;
  RelationMap all = impl_->disk_relations(read_segments);
  impl_->relations.for_each([&](Relation r, Name k, Name v) {
    if (k.how() != How::Local && v.how() != How::Local) all.insert_or_assign({static_cast<uint8_t>(r), k}, v);
  });
  size_t pending_seen = 0;
  {
    std::lock_guard lock(impl_->pending_mutex);
    pending_seen = impl_->pending.size();
  }

  // Reachability over content Names: labels are the roots; a Tree reaches its entries; a key
  // reaches its relations' values. Keys are looked up by content, so Think(Application(T)) and
  // Eval(Strict(...)) are found from T whatever role the evaluator stored them under.
  //
  // Provenance is kept too: a result reaches the keys that produced it, so `fixnet why` and
  // `fixnet reproduce` still work on a labelled result after gc. A literal reached only as a Tree
  // entry (an input such as "1") does not: it would keep every computation that ever produced it.
  std::unordered_multimap<Name, Name, NameHash> values_by_key, keys_by_value;
  for (const auto& [k, v] : all) {
    values_by_key.emplace(k.second.content_name(), v.content_name());
    keys_by_value.emplace(v.content_name(), k.second.content_name());
  }
  std::unordered_set<Name, NameHash> reachable, results;  // results: reached as labels or values
  std::vector<Name> work;
  auto reach = [&](Name n) {
    const Name c = n.content_name();
    if (reachable.insert(c).second) work.push_back(c);
  };
  auto reach_result = [&](Name n) {
    const Name c = n.content_name();
    if (results.insert(c).second) reachable.erase(c);  // look at it again, as a result
    reach(c);
  };
  for (const auto& [label, name] : labels()) reach_result(name);
  while (!work.empty()) {
    const Name c = work.back();
    work.pop_back();
    auto [begin, end] = values_by_key.equal_range(c);
    for (auto it = begin; it != end; ++it) reach_result(it->second);
    if (!c.is_literal() || results.count(c)) {
      auto [from, to] = keys_by_value.equal_range(c);
      for (auto it = from; it != to; ++it) reach(it->second);
    }
    if (c.content() != Content::Tree) continue;
    TreeData tree;
    try {
      tree = get_tree(c);  // a corrupt Tree throws: better to stop than to delete what it holds
    } catch (const NotFoundError&) {
      continue;  // not stored here: nothing of it to keep
    }
    for (const Name& e : *tree) reach(e);
  }

  GcReport report;
  const std::vector<Name> names = objects();
  for (size_t i = 0; i < names.size(); ++i) {
    struct stat st;
    const bool stat_ok = ::stat(impl_->object_path(names[i]).c_str(), &st) == 0;
    if (reachable.count(names[i]) || (stat_ok && started && newer(st.st_mtim, *started))) {
      ++report.objects_kept;
    } else {
      report.objects_removed.push_back(names[i]);
      if (stat_ok) report.bytes_removed += static_cast<uint64_t>(st.st_size);
    }
    if (progress) progress(i + 1, names.size());
  }
  std::vector<Record> kept;
  for (const auto& [k, v] : all) {
    if (reachable.count(k.second.content_name()) && reachable.count(v.content_name()))
      kept.push_back({static_cast<Relation>(k.first), k.second, v});
  }
  report.relations_kept = kept.size();
  report.relations_removed = all.size() - kept.size();
  if (dry_run) return report;

  // Relations first: if we stop half-way, no segment names a removed object.
  if (!kept.empty()) impl_->write_segment(kept);
  impl_->remove_segments(read_segments);
  {
    std::lock_guard lock(impl_->pending_mutex);
    impl_->pending.erase(impl_->pending.begin(),
                         impl_->pending.begin() + static_cast<ptrdiff_t>(pending_seen));
    impl_->relations.clear();
    for (const Record& r : kept) impl_->relations.put(r.relation, r.key, r.value);
    for (const Record& r : impl_->pending) impl_->relations.put(r.relation, r.key, r.value);
  }

  std::set<fs::path> touched_dirs;
  for (const Name& n : report.objects_removed) {
    const fs::path path = impl_->object_path(n);
    impl_->cache.erase(n);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      const int err = errno;
      throw EnvironmentError(fmt::format("cannot remove object {} ({}): {} — {}", n.hex(), path.string(),
                                         errno_text(err), write_fix(err)));
    }
    touched_dirs.insert(path.parent_path());
  }
  for (const fs::path& d : touched_dirs) ::rmdir(d.c_str());  // only succeeds when empty
  impl_->remove_old_tmp_files();
  return report;
}

}  // namespace fixnet
