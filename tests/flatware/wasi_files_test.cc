// The fd_* calls, through WasiHost::call as a compiled program would make them.
#include <gtest/gtest.h>

#include "core/error.h"
#include "flatware_test_util.h"

namespace fixnet::flatware::testing {
namespace {

Name sample_fs(ObjectStore& s) {
  return tree(s, {file(s, "a.txt", "hello"), dir(s, "d", {file(s, "x", "1"), file(s, "yy", "22")})});
}

Harness sample(FlatwareLimits limits = {}, std::string stdin_bytes = "") {
  auto store = std::make_unique<CountingStore>();
  const Name fs = sample_fs(*store);
  return Harness(std::move(store), fs, limits, std::move(stdin_bytes));
}

TEST(WasiFiles, StdoutAndStderrAreCaptured) {
  Harness h;
  uint32_t n = 0;
  ASSERT_EQ(h.write(1, {"hel", "lo\n"}, &n), Errno::success);
  EXPECT_EQ(n, 6u);
  ASSERT_EQ(h.write(2, {"oops"}), Errno::success);
  const ProgramOutput out = h.host->finish(3);
  EXPECT_EQ(*h.store->get_blob(out.stdout_blob), "hello\n");
  EXPECT_EQ(*h.store->get_blob(out.stderr_blob), "oops");
  EXPECT_EQ(out.exit_code, 3u);
}

TEST(WasiFiles, StdinIsReadFromTheInputBlob) {
  Harness h(Name(), {}, "line one\nline two\n");
  std::string got;
  ASSERT_EQ(h.read(0, 9, got), Errno::success);
  EXPECT_EQ(got, "line one\n");
  // Two iovecs, scattered in order.
  const uint32_t iov = h.guest.out_iovecs({4, 100}), out = h.guest.alloc(4);
  ASSERT_EQ(h.call(WasiCall::fd_read, {0, iov, 2, out}), Errno::success);
  EXPECT_EQ(h.guest.u32(out), 9u);
  EXPECT_EQ(h.guest.iovec_bytes(iov, 2, 9), "line two\n");
  ASSERT_EQ(h.read(0, 10, got), Errno::success);
  EXPECT_EQ(got, "");  // end of input
}

TEST(WasiFiles, WrongDirectionAndUnknownFdsAreEbadf) {
  Harness h;
  std::string got;
  EXPECT_EQ(h.write(0, {"x"}), Errno::badf);
  EXPECT_EQ(h.read(1, 4, got), Errno::badf);
  EXPECT_EQ(h.read(2, 4, got), Errno::badf);
  EXPECT_EQ(h.write(77, {"x"}), Errno::badf);
  EXPECT_EQ(h.read(77, 4, got), Errno::badf);
  EXPECT_EQ(h.call(WasiCall::fd_close, {77}), Errno::badf);
  EXPECT_EQ(h.call(WasiCall::fd_fdstat_get, {77, h.guest.alloc(24)}), Errno::badf);
  EXPECT_EQ(h.call(WasiCall::fd_filestat_get, {77, h.guest.alloc(64)}), Errno::badf);
  EXPECT_EQ(h.call(WasiCall::fd_sync, {77}), Errno::badf);
  EXPECT_EQ(h.call(WasiCall::fd_readdir, {77, h.guest.alloc(64), 64, 0, h.guest.alloc(4)}), Errno::badf);
  EXPECT_EQ(h.call(WasiCall::fd_seek, {uint64_t{1} << 32, 0, 0, h.guest.alloc(8)}), Errno::badf);
  const uint32_t ro = h.open_ok(".", 0, kReadRights);
  EXPECT_EQ(h.write(ro, {"x"}), Errno::isdir);
}

TEST(WasiFiles, BadPointersAreEfaultAndChangeNothing) {
  Harness h(Name(), {}, "abc");
  // fd_write with a buffer outside memory: nothing reaches stdout.
  const uint32_t iov = h.guest.alloc(16);
  h.guest.store32(iov, static_cast<uint32_t>(h.guest.size() - 2));
  h.guest.store32(iov + 4, 10);
  EXPECT_EQ(h.call(WasiCall::fd_write, {1, iov, 1, h.guest.alloc(4)}), Errno::fault);
  // fd_read with a bad nread pointer: stdin's position does not move.
  const uint32_t good = h.guest.out_iovecs({8});
  const auto before = h.guest.snapshot();
  EXPECT_EQ(h.call(WasiCall::fd_read, {0, good, 1, h.guest.bad()}), Errno::fault);
  EXPECT_EQ(h.guest.snapshot(), before);
  std::string got;
  ASSERT_EQ(h.read(0, 8, got), Errno::success);
  EXPECT_EQ(got, "abc");
  // The iovec array itself out of memory.
  EXPECT_EQ(h.call(WasiCall::fd_write, {1, h.guest.bad(), 1, h.guest.alloc(4)}), Errno::fault);
  EXPECT_EQ(h.call(WasiCall::fd_fdstat_get, {1, h.guest.bad()}), Errno::fault);
  EXPECT_EQ(*h.store->get_blob(h.host->finish(0).stdout_blob), "");
}

TEST(WasiFiles, SeekTellPreadPwriteOnFiles) {
  Harness h = sample();
  const uint32_t fd = h.open_ok("a.txt");
  const uint32_t pos = h.guest.alloc(8);
  ASSERT_EQ(h.call(WasiCall::fd_seek, {fd, 1, wasi::kWhenceSet, pos}), Errno::success);
  EXPECT_EQ(h.guest.u64(pos), 1u);
  std::string got;
  ASSERT_EQ(h.read(fd, 2, got), Errno::success);
  EXPECT_EQ(got, "el");
  ASSERT_EQ(h.call(WasiCall::fd_tell, {fd, pos}), Errno::success);
  EXPECT_EQ(h.guest.u64(pos), 3u);
  ASSERT_EQ(h.call(WasiCall::fd_seek, {fd, static_cast<uint64_t>(-2), wasi::kWhenceEnd, pos}),
            Errno::success);
  EXPECT_EQ(h.guest.u64(pos), 3u);
  EXPECT_EQ(h.call(WasiCall::fd_seek, {fd, static_cast<uint64_t>(-9), wasi::kWhenceCur, pos}), Errno::inval);
  EXPECT_EQ(h.call(WasiCall::fd_seek, {fd, 0, 7, pos}), Errno::inval);

  const uint32_t iov = h.guest.iovecs({"XY"}), n = h.guest.alloc(4);
  ASSERT_EQ(h.call(WasiCall::fd_pwrite, {fd, iov, 1, 7, n}), Errno::success);  // past the end: zero-filled
  EXPECT_EQ(h.guest.u32(n), 2u);
  const uint32_t riov = h.guest.out_iovecs({16});
  ASSERT_EQ(h.call(WasiCall::fd_pread, {fd, riov, 1, 4, n}), Errno::success);
  EXPECT_EQ(h.guest.iovec_bytes(riov, 1, h.guest.u32(n)), std::string("o\0\0XY", 5));
  ASSERT_EQ(h.call(WasiCall::fd_tell, {fd, pos}), Errno::success);
  EXPECT_EQ(h.guest.u64(pos), 3u);  // positioned calls leave the offset alone
  EXPECT_EQ(h.slurp("a.txt"), std::string("hello\0\0XY", 9));
}

TEST(WasiFiles, StdioIsNotSeekable) {
  Harness h;
  const uint32_t p = h.guest.alloc(8), iov = h.guest.out_iovecs({4});
  for (uint32_t fd : {0u, 1u, 2u}) {
    EXPECT_EQ(h.call(WasiCall::fd_seek, {fd, 0, 0, p}), Errno::spipe);
    EXPECT_EQ(h.call(WasiCall::fd_tell, {fd, p}), Errno::spipe);
    EXPECT_EQ(h.call(WasiCall::fd_pread, {fd, iov, 1, 0, p}), Errno::spipe);
    EXPECT_EQ(h.call(WasiCall::fd_pwrite, {fd, iov, 1, 0, p}), Errno::spipe);
    EXPECT_EQ(h.call(WasiCall::fd_advise, {fd, 0, 0, 0}), Errno::spipe);
    EXPECT_EQ(h.call(WasiCall::fd_sync, {fd}), Errno::inval);
    EXPECT_EQ(h.call(WasiCall::fd_filestat_set_size, {fd, 0}), Errno::inval);
  }
}

TEST(WasiFiles, AppendFlagWritesAtTheEnd) {
  Harness h = sample();
  const uint32_t fd = h.open_ok("a.txt", 0, wasi::kRightsAll, wasi::kFdflagAppend);
  ASSERT_EQ(h.write(fd, {"!"}), Errno::success);
  const uint32_t other = h.open_ok("a.txt");
  ASSERT_EQ(h.write(other, {"J"}), Errno::success);  // overwrites at 0
  ASSERT_EQ(h.call(WasiCall::fd_fdstat_set_flags, {other, wasi::kFdflagAppend}), Errno::success);
  ASSERT_EQ(h.write(other, {"?"}), Errno::success);
  EXPECT_EQ(h.slurp("a.txt"), "Jello!?");
  const uint32_t st = h.guest.alloc(24);
  ASSERT_EQ(h.call(WasiCall::fd_fdstat_get, {other, st}), Errno::success);
  EXPECT_EQ(h.guest.u16(st + wasi::fdstat::flags), wasi::kFdflagAppend);
  EXPECT_EQ(h.call(WasiCall::fd_fdstat_set_flags, {other, 0x100}), Errno::inval);
}

TEST(WasiFiles, FdstatReportsTypeAndRights) {
  Harness h = sample();
  const uint32_t st = h.guest.alloc(24);
  ASSERT_EQ(h.call(WasiCall::fd_fdstat_get, {1, st}), Errno::success);
  EXPECT_EQ(h.guest.u8(st), static_cast<uint8_t>(wasi::Filetype::character_device));
  EXPECT_EQ(h.guest.u64(st + 8), wasi::kRightsAll);
  ASSERT_EQ(h.call(WasiCall::fd_fdstat_get, {3, st}), Errno::success);
  EXPECT_EQ(h.guest.u8(st), static_cast<uint8_t>(wasi::Filetype::directory));
  EXPECT_EQ(h.guest.u64(st + 16), wasi::kRightsAll);
  const uint32_t fd = h.open_ok("a.txt", 0, kReadRights);
  ASSERT_EQ(h.call(WasiCall::fd_fdstat_get, {fd, st}), Errno::success);
  EXPECT_EQ(h.guest.u8(st), static_cast<uint8_t>(wasi::Filetype::regular_file));
  EXPECT_EQ(h.guest.u64(st + 8), kReadRights);
  EXPECT_EQ(h.write(fd, {"x"}), Errno::badf);  // no write right
  // Rights can only be dropped.
  EXPECT_EQ(h.call(WasiCall::fd_fdstat_set_rights, {fd, wasi::kRightsAll, 0}), Errno::notcapable);
  ASSERT_EQ(h.call(WasiCall::fd_fdstat_set_rights, {fd, 0, 0}), Errno::success);
  std::string got;
  EXPECT_EQ(h.read(fd, 1, got), Errno::badf);
}

TEST(WasiFiles, FilestatIsDeterministic) {
  Harness h = sample();
  const uint32_t fd = h.open_ok("d/yy");
  const uint32_t st = h.guest.alloc(64);
  ASSERT_EQ(h.call(WasiCall::fd_filestat_get, {fd, st}), Errno::success);
  namespace fs = wasi::filestat;
  EXPECT_EQ(h.guest.u64(st + fs::dev), 0u);
  EXPECT_EQ(h.guest.u8(st + fs::filetype), static_cast<uint8_t>(wasi::Filetype::regular_file));
  EXPECT_EQ(h.guest.u64(st + fs::nlink), 1u);
  EXPECT_EQ(h.guest.u64(st + fs::fsize), 2u);
  EXPECT_EQ(h.guest.u64(st + fs::atim), kStart);
  EXPECT_EQ(h.guest.u64(st + fs::mtim), kStart);
  EXPECT_EQ(h.guest.u64(st + fs::ctim), kStart);
  // Root 1, its entries a.txt 2 and d 3, then d's x 4 and yy 5.
  EXPECT_EQ(h.guest.u64(st + fs::ino), 5u);
  // Setting times is accepted; stat still reports the start time.
  ASSERT_EQ(h.call(WasiCall::fd_filestat_set_times, {fd, 5, 6, wasi::kFstAtim | wasi::kFstMtim}),
            Errno::success);
  EXPECT_EQ(h.call(WasiCall::fd_filestat_set_times, {fd, 5, 6, wasi::kFstAtim | wasi::kFstAtimNow}),
            Errno::inval);
  ASSERT_EQ(h.call(WasiCall::fd_filestat_get, {fd, st}), Errno::success);
  EXPECT_EQ(h.guest.u64(st + fs::mtim), kStart);
}

TEST(WasiFiles, SetSizeAllocateAdviseSync) {
  Harness h = sample();
  const uint32_t fd = h.open_ok("a.txt");
  ASSERT_EQ(h.call(WasiCall::fd_filestat_set_size, {fd, 2}), Errno::success);
  EXPECT_EQ(h.slurp("a.txt"), "he");
  ASSERT_EQ(h.call(WasiCall::fd_allocate, {fd, 2, 3}), Errno::success);
  EXPECT_EQ(h.slurp("a.txt"), std::string("he\0\0\0", 5));
  ASSERT_EQ(h.call(WasiCall::fd_allocate, {fd, 0, 1}), Errno::success);  // never shrinks
  EXPECT_EQ(h.slurp("a.txt").size(), 5u);
  EXPECT_EQ(h.call(WasiCall::fd_advise, {fd, 0, 5, 3}), Errno::success);
  EXPECT_EQ(h.call(WasiCall::fd_advise, {fd, 0, 5, 6}), Errno::inval);
  EXPECT_EQ(h.call(WasiCall::fd_sync, {fd}), Errno::success);
  EXPECT_EQ(h.call(WasiCall::fd_datasync, {fd}), Errno::success);
  const uint32_t ro = h.open_ok("a.txt", 0, kReadRights);
  EXPECT_EQ(h.call(WasiCall::fd_filestat_set_size, {ro, 0}), Errno::badf);
  EXPECT_EQ(h.call(WasiCall::fd_allocate, {ro, 0, 10}), Errno::badf);
  const uint32_t d = h.open_ok("d", wasi::kOflagDirectory, kReadRights);
  EXPECT_EQ(h.call(WasiCall::fd_filestat_set_size, {d, 0}), Errno::isdir);
  std::string got;
  EXPECT_EQ(h.read(d, 4, got), Errno::isdir);
}

TEST(WasiFiles, PrestatNamesTheRoot) {
  Harness h;
  const uint32_t p = h.guest.alloc(8);
  ASSERT_EQ(h.call(WasiCall::fd_prestat_get, {3, p}), Errno::success);
  EXPECT_EQ(h.guest.u8(p), wasi::kPreopenDir);
  EXPECT_EQ(h.guest.u32(p + 4), 1u);
  const uint32_t name = h.guest.alloc(8);
  ASSERT_EQ(h.call(WasiCall::fd_prestat_dir_name, {3, name, 1}), Errno::success);
  EXPECT_EQ(h.guest.bytes(name, 1), "/");
  EXPECT_EQ(h.call(WasiCall::fd_prestat_dir_name, {3, name, 0}), Errno::nametoolong);
  EXPECT_EQ(h.call(WasiCall::fd_prestat_get, {4, p}), Errno::badf);  // where wasi-libc's scan stops
  EXPECT_EQ(h.call(WasiCall::fd_prestat_get, {1, p}), Errno::badf);
}

TEST(WasiFiles, RenumberAndClose) {
  Harness h = sample();
  const uint32_t a = h.open_ok("a.txt", 0, kReadRights), x = h.open_ok("d/x", 0, kReadRights);
  EXPECT_EQ(h.call(WasiCall::fd_renumber, {a, 99}), Errno::badf);  // the target must be open
  ASSERT_EQ(h.call(WasiCall::fd_renumber, {a, x}), Errno::success);
  std::string got;
  ASSERT_EQ(h.read(x, 10, got), Errno::success);
  EXPECT_EQ(got, "hello");
  EXPECT_EQ(h.read(a, 10, got), Errno::badf);
  ASSERT_EQ(h.call(WasiCall::fd_close, {x}), Errno::success);
  EXPECT_EQ(h.call(WasiCall::fd_close, {x}), Errno::badf);
  EXPECT_EQ(h.open_ok("a.txt"), a);  // lowest free number again
  // The preopen keeps its prestat when renumbered.
  ASSERT_EQ(h.call(WasiCall::fd_renumber, {3, a}), Errno::success);
  EXPECT_EQ(h.call(WasiCall::fd_prestat_get, {a, h.guest.alloc(8)}), Errno::success);
}

// Parses fd_readdir's buffer into (name, d_next, type) triples; the last may be cut short.
struct Dirent {
  std::string name;
  uint64_t next, ino;
  uint8_t type;
};
std::vector<Dirent> parse_dirents(const Guest& g, uint32_t buf, uint32_t used) {
  std::vector<Dirent> out;
  uint32_t at = 0;
  while (at + wasi::dirent::size <= used) {
    const uint32_t len = g.u32(buf + at + 16);
    const uint32_t have = std::min(len, used - at - 24);
    out.push_back({g.bytes(buf + at + 24, have), g.u64(buf + at), g.u64(buf + at + 8), g.u8(buf + at + 20)});
    at += 24 + len;
  }
  return out;
}

TEST(WasiFiles, ReaddirListsWithCookiesAndTruncatesTheLastEntry) {
  Harness h = sample();
  const uint32_t d = h.open_ok("d", wasi::kOflagDirectory, kReadRights);
  const uint32_t buf = h.guest.alloc(256), used = h.guest.alloc(4);
  ASSERT_EQ(h.call(WasiCall::fd_readdir, {d, buf, 256, 0, used}), Errno::success);
  const uint32_t total = 4 * 24 + 1 + 2 + 1 + 2;
  EXPECT_EQ(h.guest.u32(used), total);  // less than the buffer: the end
  auto all = parse_dirents(h.guest, buf, h.guest.u32(used));
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].name, ".");
  EXPECT_EQ(all[1].name, "..");
  EXPECT_EQ(all[2].name, "x");
  EXPECT_EQ(all[3].name, "yy");
  EXPECT_EQ(all[3].next, 4u);
  EXPECT_EQ(all[1].ino, 1u);  // d's parent is the root
  EXPECT_EQ(all[2].type, static_cast<uint8_t>(wasi::Filetype::regular_file));
  EXPECT_EQ(all[0].type, static_cast<uint8_t>(wasi::Filetype::directory));

  // Resume from the cookie of "x"'s successor.
  ASSERT_EQ(h.call(WasiCall::fd_readdir, {d, buf, 256, all[2].next, used}), Errno::success);
  auto rest = parse_dirents(h.guest, buf, h.guest.u32(used));
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].name, "yy");

  // A buffer ending inside the last entry's name: filled to the brim, name cut.
  const uint32_t small = total - 1;
  ASSERT_EQ(h.call(WasiCall::fd_readdir, {d, buf, small, 0, used}), Errno::success);
  EXPECT_EQ(h.guest.u32(used), small);
  auto cut = parse_dirents(h.guest, buf, small);
  ASSERT_EQ(cut.size(), 4u);
  EXPECT_EQ(cut[3].name, "y");

  // Past the end: nothing.
  ASSERT_EQ(h.call(WasiCall::fd_readdir, {d, buf, 256, 10, used}), Errno::success);
  EXPECT_EQ(h.guest.u32(used), 0u);
  const uint32_t f = h.open_ok("a.txt", 0, kReadRights);
  EXPECT_EQ(h.call(WasiCall::fd_readdir, {f, buf, 256, 0, used}), Errno::notdir);
  EXPECT_EQ(h.call(WasiCall::fd_readdir, {d, h.guest.bad(), 256, 0, used}), Errno::fault);
}

TEST(WasiFiles, OutputLimitIsADeterministicTrap) {
  FlatwareLimits limits;
  limits.max_output_bytes = 10;
  Harness h = sample(limits);
  ASSERT_EQ(h.write(1, {"12345"}), Errno::success);
  const uint32_t fd = h.open_ok("a.txt");
  ASSERT_EQ(h.write(fd, {"abc"}), Errno::success);
  try {
    h.write(2, {"xyz"});
    FAIL() << "no trap";
  } catch (const ProcedureError& e) {
    EXPECT_STREQ(e.what(), "flatware: the program wrote more than 10 bytes (output limit)");
  }
  // Zero-filled growth counts too.
  Harness g = sample(limits);
  const uint32_t gfd = g.open_ok("a.txt");
  EXPECT_THROW(g.call(WasiCall::fd_filestat_set_size, {gfd, 1000}), ProcedureError);
  EXPECT_EQ(g.slurp("a.txt"), "hello");
}

}  // namespace
}  // namespace fixnet::flatware::testing
