// The path_* calls through WasiHost::call, and what they leave in the output Tree.
#include <gtest/gtest.h>

#include "flatware_test_util.h"

namespace fixnet::flatware::testing {
namespace {

struct PathHarness : Harness {
  static Harness make(FlatwareLimits limits = {}) {
    auto store = std::make_unique<CountingStore>();
    CountingStore& s = *store;
    const Name keep = tree(s, {file(s, "k", std::string(64, 'k'))});
    const Name fs = tree(s, {file(s, "a.txt", "hello"),
                             {"keep", 040755, keep},
                             link(s, "ln", "a.txt"),
                             link(s, "loop", "loop"),
                             dir(s, "sub", {file(s, "f", "F")})});
    return Harness(std::move(store), fs, limits, "");
  }
};

TEST(WasiPaths, OpenFlags) {
  Harness h = PathHarness::make();
  uint32_t fd;
  EXPECT_EQ(h.open("missing", fd), Errno::noent);
  EXPECT_EQ(h.open("a.txt", fd, wasi::kOflagCreat | wasi::kOflagExcl), Errno::exist);
  EXPECT_EQ(h.open("ln", fd, wasi::kOflagCreat | wasi::kOflagExcl), Errno::exist);  // the link itself exists
  EXPECT_EQ(h.open("a.txt", fd, wasi::kOflagDirectory), Errno::notdir);
  EXPECT_EQ(h.open("a.txt/", fd), Errno::notdir);
  EXPECT_EQ(h.open("sub", fd, 0, wasi::kRightsAll), Errno::isdir);  // a directory opened for writing
  EXPECT_EQ(h.open("sub", fd, wasi::kOflagTrunc, kReadRights), Errno::isdir);
  EXPECT_EQ(h.open("new", fd, wasi::kOflagCreat | wasi::kOflagDirectory), Errno::inval);
  EXPECT_EQ(h.open("a.txt", fd, 0x10), Errno::inval);
  EXPECT_EQ(h.open("ln", fd, 0, kReadRights, 0, 0), Errno::loop);  // O_NOFOLLOW on a link
  EXPECT_EQ(h.open("loop", fd), Errno::loop);
  EXPECT_EQ(h.open("../x", fd), Errno::noent);  // `..` at `/` is `/`: this is /x, which is not there
  EXPECT_EQ(h.open("sub/../../x", fd), Errno::noent);
  EXPECT_EQ(h.open("/a.txt", fd), Errno::notcapable);  // WASI paths are relative to their fd
  EXPECT_EQ(h.open("x", fd, 0, kReadRights, 0, 1, 1), Errno::notdir);  // stdout is no directory
  EXPECT_EQ(h.open("x", fd, 0, kReadRights, 0, 1, 50), Errno::badf);

  const uint32_t t = h.open_ok("a.txt", wasi::kOflagTrunc);
  std::string got;
  ASSERT_EQ(h.read(t, 10, got), Errno::success);
  EXPECT_EQ(got, "");
  const uint32_t c = h.open_ok("sub/new", wasi::kOflagCreat);
  ASSERT_EQ(h.write(c, {"made"}), Errno::success);
  EXPECT_EQ(h.slurp("sub/new"), "made");
  EXPECT_EQ(h.slurp("ln"), "");  // follows to the truncated a.txt
  // Relative to a directory fd.
  const uint32_t sub = h.open_ok("sub", wasi::kOflagDirectory, kReadRights);
  uint32_t f;
  ASSERT_EQ(h.open("f", f, 0, kReadRights, 0, 1, sub), Errno::success);
  ASSERT_EQ(h.read(f, 10, got), Errno::success);
  EXPECT_EQ(got, "F");
  ASSERT_EQ(h.open("../a.txt", f, 0, kReadRights, 0, 1, sub), Errno::success);
}

TEST(WasiPaths, CreateThroughDanglingLinkCreatesTheTarget) {
  Harness h;
  ASSERT_EQ(h.symlink("target", "dangling"), Errno::success);
  const uint32_t fd = h.open_ok("dangling", wasi::kOflagCreat);
  ASSERT_EQ(h.write(fd, {"t"}), Errno::success);
  EXPECT_EQ(h.slurp("target"), "t");
}

TEST(WasiPaths, DirectoryCallsAndTheirErrors) {
  Harness h = PathHarness::make();
  EXPECT_EQ(h.path_call(WasiCall::path_create_directory, "sub"), Errno::exist);
  ASSERT_EQ(h.path_call(WasiCall::path_create_directory, "nd"), Errno::success);
  EXPECT_EQ(h.path_call(WasiCall::path_remove_directory, "sub"), Errno::notempty);
  EXPECT_EQ(h.path_call(WasiCall::path_remove_directory, "a.txt"), Errno::notdir);
  ASSERT_EQ(h.path_call(WasiCall::path_remove_directory, "nd"), Errno::success);
  EXPECT_EQ(h.path_call(WasiCall::path_remove_directory, "nd"), Errno::noent);
  EXPECT_EQ(h.path_call(WasiCall::path_unlink_file, "sub"), Errno::isdir);
  EXPECT_EQ(h.path_call(WasiCall::path_unlink_file, "nope"), Errno::noent);
  EXPECT_EQ(h.path_call(WasiCall::path_unlink_file, "/a.txt"), Errno::notcapable);
  ASSERT_EQ(h.path_call(WasiCall::path_unlink_file, "ln"), Errno::success);  // the link, not its target
  EXPECT_EQ(h.slurp("a.txt"), "hello");
  EXPECT_EQ(h.rename("sub", "sub/inner"), Errno::inval);
  EXPECT_EQ(h.rename("a.txt", "sub"), Errno::isdir);
  EXPECT_EQ(h.rename("sub", "a.txt"), Errno::notdir);
  EXPECT_EQ(h.rename("missing", "x"), Errno::noent);
  EXPECT_EQ(h.path_call(WasiCall::path_create_directory, "x", 2), Errno::notdir);
  EXPECT_EQ(h.path_call(WasiCall::path_create_directory, "x", 9), Errno::badf);
}

TEST(WasiPaths, SymlinkReadlinkAndStat) {
  Harness h = PathHarness::make();
  ASSERT_EQ(h.symlink("/sub/f", "abs"), Errno::success);
  EXPECT_EQ(h.symlink("x", "a.txt"), Errno::exist);
  EXPECT_EQ(h.slurp("abs"), "F");
  const uint32_t buf = h.guest.alloc(16), used = h.guest.alloc(4);
  const uint32_t p = h.guest.put("abs");
  ASSERT_EQ(h.call(WasiCall::path_readlink, {3, p, 3, buf, 16, used}), Errno::success);
  EXPECT_EQ(h.guest.bytes(buf, h.guest.u32(used)), "/sub/f");
  ASSERT_EQ(h.call(WasiCall::path_readlink, {3, p, 3, buf, 3, used}), Errno::success);  // cut to the buffer
  EXPECT_EQ(h.guest.u32(used), 3u);
  const uint32_t q = h.guest.put("a.txt");
  EXPECT_EQ(h.call(WasiCall::path_readlink, {3, q, 5, buf, 16, used}), Errno::inval);

  uint64_t st;
  ASSERT_EQ(h.stat("ln", st, false), Errno::success);
  EXPECT_EQ(h.guest.u8(st + wasi::filestat::filetype), static_cast<uint8_t>(wasi::Filetype::symbolic_link));
  EXPECT_EQ(h.guest.u64(st + wasi::filestat::fsize), 5u);  // the target's length
  ASSERT_EQ(h.stat("ln", st, true), Errno::success);
  EXPECT_EQ(h.guest.u8(st + wasi::filestat::filetype), static_cast<uint8_t>(wasi::Filetype::regular_file));
  ASSERT_EQ(h.stat("sub", st), Errno::success);
  EXPECT_EQ(h.guest.u8(st + wasi::filestat::filetype), static_cast<uint8_t>(wasi::Filetype::directory));
  EXPECT_EQ(h.stat("loop", st), Errno::loop);
  EXPECT_EQ(h.stat("nope", st), Errno::noent);
  const uint32_t sp = h.guest.put("a.txt");
  EXPECT_EQ(h.call(WasiCall::path_filestat_set_times, {3, 1, sp, 5, 1, 2, wasi::kFstMtim}), Errno::success);
  EXPECT_EQ(h.call(WasiCall::path_filestat_set_times, {3, 1, sp, 5, 1, 2, 0x30}), Errno::inval);
  EXPECT_EQ(h.call(WasiCall::path_filestat_get, {3, 1, sp, 5, h.guest.bad()}), Errno::fault);
}

TEST(WasiPaths, HardLinksAreNotSupported) {
  Harness h = PathHarness::make();
  const uint32_t a = h.guest.put("a.txt"), b = h.guest.put("b");
  EXPECT_EQ(h.call(WasiCall::path_link, {3, 0, a, 5, 3, b, 1}), Errno::notsup);
  EXPECT_EQ(h.call(WasiCall::path_link, {3, 0, a, 5, 42, b, 1}), Errno::badf);
  uint32_t fd;
  EXPECT_EQ(h.open("b", fd), Errno::noent);
}

TEST(WasiPaths, LongPathsAreEnametoolong) {
  FlatwareLimits limits;
  limits.max_path_length = 16;
  Harness h = PathHarness::make(limits);
  uint32_t fd;
  EXPECT_EQ(h.open(std::string(17, 'a'), fd, wasi::kOflagCreat), Errno::nametoolong);
  EXPECT_EQ(h.path_call(WasiCall::path_create_directory, std::string(17, 'd')), Errno::nametoolong);
  EXPECT_EQ(h.symlink(std::string(17, 't'), "l"), Errno::nametoolong);
  EXPECT_EQ(h.open(std::string(16, 'a'), fd, wasi::kOflagCreat), Errno::success);
}

TEST(WasiPaths, TooManyOpenFdsIsEmfile) {
  FlatwareLimits limits;
  limits.max_open_fds = 6;  // stdio, `/`, and two more
  Harness h = PathHarness::make(limits);
  uint32_t first, fd;
  ASSERT_EQ(h.open("a.txt", first), Errno::success);
  ASSERT_EQ(h.open("a.txt", fd), Errno::success);
  EXPECT_EQ(h.open("new", fd, wasi::kOflagCreat), Errno::mfile);
  uint64_t st;
  EXPECT_EQ(h.stat("new", st), Errno::noent);  // EMFILE created nothing
  ASSERT_EQ(h.call(WasiCall::fd_close, {first}), Errno::success);
  EXPECT_EQ(h.open("a.txt", fd), Errno::success);
  EXPECT_EQ(fd, first);
}

TEST(WasiPaths, BadPathPointerIsEfaultAndCreatesNothing) {
  Harness h = PathHarness::make();
  const uint32_t out = h.guest.alloc(4);
  const uint32_t p = h.guest.put("created");
  EXPECT_EQ(h.call(WasiCall::path_open, {3, 1, h.guest.bad(), 4, wasi::kOflagCreat, 0, 0, 0, out}),
            Errno::fault);
  EXPECT_EQ(h.call(WasiCall::path_open, {3, 1, p, 7, wasi::kOflagCreat, 0, 0, 0, h.guest.bad()}),
            Errno::fault);
  EXPECT_EQ(h.path_call(WasiCall::path_create_directory, "created"), Errno::success);  // the name was free
}

TEST(WasiPaths, ChangesShowUpInTheOutputTreeCanonically) {
  Harness h = PathHarness::make();
  CountingStore& s = *h.store;
  const Name keep = tree(s, {file(s, "k", std::string(64, 'k'))});
  const uint32_t fd = h.open_ok("sub/z", wasi::kOflagCreat);
  ASSERT_EQ(h.write(fd, {"zz"}), Errno::success);
  ASSERT_EQ(h.path_call(WasiCall::path_create_directory, "A"), Errno::success);
  ASSERT_EQ(h.rename("a.txt", "A/moved"), Errno::success);
  ASSERT_EQ(h.path_call(WasiCall::path_unlink_file, "loop"), Errno::success);
  ASSERT_EQ(h.symlink("A/moved", "s"), Errno::success);
  const ProgramOutput out = h.host->finish(0);
  const Name expected = tree(s, {dir(s, "A", {file(s, "moved", "hello")}),
                                 {"keep", 040755, keep},
                                 link(s, "ln", "a.txt"),
                                 link(s, "s", "A/moved"),
                                 dir(s, "sub", {file(s, "f", "F"), file(s, "z", "zz")})});
  EXPECT_EQ(out.filesystem, expected);
  EXPECT_FALSE(s.was_read(keep));  // the untouched subtree went out by Name
}

TEST(WasiPaths, UnlinkedOpenFileStaysUsable) {
  Harness h = PathHarness::make();
  const uint32_t fd = h.open_ok("a.txt");
  ASSERT_EQ(h.path_call(WasiCall::path_unlink_file, "a.txt"), Errno::success);
  ASSERT_EQ(h.write(fd, {"J"}), Errno::success);
  const uint32_t iov = h.guest.out_iovecs({8}), n = h.guest.alloc(4);
  ASSERT_EQ(h.call(WasiCall::fd_pread, {fd, iov, 1, 0, n}), Errno::success);
  EXPECT_EQ(h.guest.iovec_bytes(iov, 1, h.guest.u32(n)), "Jello");
  uint32_t again;
  EXPECT_EQ(h.open("a.txt", again), Errno::noent);
}

}  // namespace
}  // namespace fixnet::flatware::testing
