// Shared set-up of the flatware tests: directory Trees built by hand, a vector-backed guest memory
// with a bump allocator, and a host over a MemoryStore with helpers that lay out each call's
// arguments the way a wasm32 program would.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/memory_store.h"
#include "flatware/program_input.h"
#include "flatware/wasi_host.h"
#include "flatware/wasi_types.h"

namespace fixnet::flatware::testing {

using wasi::Errno;
using wasm::WasiCall;

inline std::string le(uint64_t v, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

// A store that counts reads, to show what was (not) loaded.
class CountingStore : public MemoryStore {
 public:
  BlobData get_blob(Name name) override {
    reads.insert(name.content_name());
    return MemoryStore::get_blob(name);
  }
  TreeData get_tree(Name name) override {
    reads.insert(name.content_name());
    return MemoryStore::get_tree(name);
  }
  bool was_read(Name name) const { return reads.count(name.content_name()) > 0; }
  std::set<Name> reads;
};

// One entry of a directory Tree (docs/cli.md "Directory trees").
struct Entry {
  std::string name;
  uint32_t mode;
  Name content;
};

inline Entry file(ObjectStore& s, std::string name, std::string_view bytes, uint32_t mode = 0100644) {
  return {std::move(name), mode, s.put_blob(bytes)};
}
inline Entry link(ObjectStore& s, std::string name, std::string_view target) {
  return {std::move(name), 0120777, s.put_blob(target)};
}
// Entries are taken in the order given: tests spell out the canonical (sorted) order themselves.
inline Name tree(ObjectStore& s, const std::vector<Entry>& entries) {
  std::vector<Name> names;
  for (const Entry& e : entries)
    names.push_back(s.put_tree({s.put_blob(e.name), s.put_blob(le(e.mode, 4)), e.content}));
  return s.put_tree(std::move(names));
}
inline Entry dir(ObjectStore& s, std::string name, const std::vector<Entry>& entries,
                 uint32_t mode = 040755) {
  return {std::move(name), mode, tree(s, entries)};
}

// A wasm32 linear memory in a vector, with a bump allocator for arguments.
class Guest {
 public:
  explicit Guest(size_t size = 1 << 16) : bytes_(size), memory_(bytes_.data(), size, nullptr, 0) {}

  wasm::GuestMemory& memory() { return memory_; }
  uint64_t size() const { return bytes_.size(); }
  // An address past the end: any access there faults.
  uint64_t bad() const { return bytes_.size() + 16; }

  uint32_t alloc(size_t n) {
    const uint32_t at = next_;
    next_ += static_cast<uint32_t>((n + 7) & ~size_t{7});
    if (next_ > bytes_.size()) throw std::runtime_error("test guest memory exhausted");
    return at;
  }
  uint32_t put(std::string_view data) {
    const uint32_t at = alloc(data.size() + 1);
    std::memcpy(bytes_.data() + at, data.data(), data.size());
    return at;
  }
  // A ciovec list holding `buffers`.
  uint32_t iovecs(const std::vector<std::string>& buffers) {
    const uint32_t list = alloc(8 * buffers.size());
    for (size_t i = 0; i < buffers.size(); ++i) {
      store32(list + 8 * i, put(buffers[i]));
      store32(list + 8 * i + 4, static_cast<uint32_t>(buffers[i].size()));
    }
    return list;
  }
  // An iovec list of fresh buffers of the given lengths.
  uint32_t out_iovecs(const std::vector<uint32_t>& lengths) {
    const uint32_t list = alloc(8 * lengths.size());
    for (size_t i = 0; i < lengths.size(); ++i) {
      store32(list + 8 * i, alloc(lengths[i]));
      store32(list + 8 * i + 4, lengths[i]);
    }
    return list;
  }
  // The bytes an iovec list's buffers hold, first `n` of them.
  std::string iovec_bytes(uint32_t list, size_t count, size_t n) {
    std::string out;
    for (size_t i = 0; i < count && out.size() < n; ++i) {
      const uint32_t len = u32(list + 8 * i + 4);
      out += bytes(u32(list + 8 * i), std::min<size_t>(len, n - out.size()));
    }
    return out;
  }

  std::string bytes(uint64_t at, size_t n) const {
    return {reinterpret_cast<const char*>(bytes_.data() + at), n};
  }
  uint8_t u8(uint64_t at) const { return bytes_[at]; }
  uint16_t u16(uint64_t at) const { return load<uint16_t>(at); }
  uint32_t u32(uint64_t at) const { return load<uint32_t>(at); }
  uint64_t u64(uint64_t at) const { return load<uint64_t>(at); }
  void store32(uint64_t at, uint32_t v) { std::memcpy(bytes_.data() + at, &v, 4); }
  void store64(uint64_t at, uint64_t v) { std::memcpy(bytes_.data() + at, &v, 8); }
  void store8(uint64_t at, uint8_t v) { bytes_[at] = v; }
  void store16(uint64_t at, uint16_t v) { std::memcpy(bytes_.data() + at, &v, 2); }

  const std::vector<uint8_t>& snapshot() const { return bytes_; }

 private:
  template <typename T>
  T load(uint64_t at) const {
    T v;
    std::memcpy(&v, bytes_.data() + at, sizeof v);
    return v;
  }
  std::vector<uint8_t> bytes_;
  wasm::GuestMemory memory_;
  uint32_t next_ = 64;  // address 0 stays unused, like NULL
};

inline constexpr uint64_t kStart = 1'700'000'000'000'000'000ULL;
inline constexpr uint64_t kReadRights = wasi::kRightsAll & ~wasi::kRightFdWrite;

// A host over `filesystem` with the helpers most tests need.
struct Harness {
  explicit Harness(Name filesystem = Name(), FlatwareLimits limits = {}, std::string stdin_bytes = "")
      : Harness(std::make_unique<CountingStore>(), filesystem, limits, std::move(stdin_bytes)) {}

  Harness(std::unique_ptr<CountingStore> s, Name filesystem, FlatwareLimits limits, std::string stdin_bytes)
      : store(std::move(s)) {
    input.args = {"prog", "--flag", "x y"};
    input.env = {"HOME=/", "LANG=C"};
    input.stdin_blob = store->put_blob(stdin_bytes);
    input.filesystem = filesystem.is_null() ? store->put_tree({}) : filesystem;
    for (size_t i = 0; i < 32; ++i) input.seed[i] = static_cast<uint8_t>(i);
    input.start_time_ns = kStart;
    host = std::make_unique<WasiHost>(*store, input, limits);
  }

  Errno call(WasiCall c, std::initializer_list<uint64_t> args) {
    std::vector<uint64_t> a(args);
    a.resize(10, 0);
    return static_cast<Errno>(host->call(c, a.data(), guest.memory()));
  }

  // path_open relative to fd 3; returns the errno and puts the fd in `fd`.
  Errno open(std::string_view path, uint32_t& fd, uint64_t oflags = 0, uint64_t rights = wasi::kRightsAll,
             uint64_t fdflags = 0, uint64_t lookup = wasi::kLookupSymlinkFollow, uint32_t dirfd = 3) {
    const uint32_t p = guest.put(path), out = guest.alloc(4);
    Errno e =
        call(WasiCall::path_open, {dirfd, lookup, p, path.size(), oflags, rights, rights, fdflags, out});
    fd = guest.u32(out);
    return e;
  }
  uint32_t open_ok(std::string_view path, uint64_t oflags = 0, uint64_t rights = wasi::kRightsAll,
                   uint64_t fdflags = 0) {
    uint32_t fd = 0;
    EXPECT_EQ(open(path, fd, oflags, rights, fdflags), Errno::success) << path;
    return fd;
  }
  Errno write(uint32_t fd, const std::vector<std::string>& buffers, uint32_t* written = nullptr) {
    const uint32_t iov = guest.iovecs(buffers), out = guest.alloc(4);
    Errno e = call(WasiCall::fd_write, {fd, iov, buffers.size(), out});
    if (written) *written = guest.u32(out);
    return e;
  }
  Errno read(uint32_t fd, uint32_t len, std::string& got) {
    const uint32_t iov = guest.out_iovecs({len}), out = guest.alloc(4);
    Errno e = call(WasiCall::fd_read, {fd, iov, 1, out});
    got = guest.iovec_bytes(iov, 1, guest.u32(out));
    return e;
  }
  // A path-only call (mkdir, rmdir, unlink) relative to fd 3.
  Errno path_call(WasiCall c, std::string_view path, uint32_t dirfd = 3) {
    return call(c, {dirfd, guest.put(path), path.size()});
  }
  Errno rename(std::string_view from, std::string_view to) {
    return call(WasiCall::path_rename, {3, guest.put(from), from.size(), 3, guest.put(to), to.size()});
  }
  Errno symlink(std::string_view target, std::string_view path) {
    return call(WasiCall::path_symlink, {guest.put(target), target.size(), 3, guest.put(path), path.size()});
  }
  // path_filestat_get into fresh memory; returns the address of the filestat.
  Errno stat(std::string_view path, uint64_t& at, bool follow = true) {
    at = guest.alloc(wasi::filestat::size);
    return call(WasiCall::path_filestat_get, {3, follow ? 1u : 0u, guest.put(path), path.size(), at});
  }
  // Reads a whole file through path_open + fd_read.
  std::string slurp(std::string_view path) {
    const uint32_t fd = open_ok(path, 0, kReadRights);
    std::string all, got;
    while (read(fd, 4096, got) == Errno::success && !got.empty()) all += got;
    call(WasiCall::fd_close, {fd});
    return all;
  }
  Name finish_tree(uint32_t code = 0) { return output_tree(*store, host->finish(code)); }

  std::unique_ptr<CountingStore> store;
  ProgramInput input;
  Guest guest;
  std::unique_ptr<WasiHost> host;
};

}  // namespace fixnet::flatware::testing
