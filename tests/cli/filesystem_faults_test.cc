// A repository on a read-only filesystem and on a full disk: the command fails with one clear
// line, and the repository stays consistent. Each test mounts a small tmpfs in a private mount
// namespace (so nothing leaks into the host); where that is not permitted the test is skipped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include "cli_test_util.h"

namespace fixnet::cli::testing {
namespace {

using ::testing::HasSubstr;

// Enters a private mount namespace once per process; the spawned fixnet processes inherit it.
bool private_mount_namespace() {
  static const bool ok = [] {
    if (::unshare(CLONE_NEWNS) != 0) return false;
    return ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
  }();
  return ok;
}

class TmpfsTest : public ::testing::Test {
 protected:
  // Mounts a tmpfs of `size` at mnt_; false (and the test should skip) when not permitted.
  bool mount_tmpfs(const std::string& size) {
    if (!private_mount_namespace()) return false;
    fs::create_directories(mnt_);
    const std::string options = "size=" + size + ",mode=0755";
    if (::mount("tmpfs", mnt_.c_str(), "tmpfs", 0, options.c_str()) != 0) return false;
    mounted_ = true;
    return true;
  }
  bool remount_read_only() {
    return ::mount(nullptr, mnt_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  }
  void TearDown() override {
    if (mounted_) ::umount2(mnt_.c_str(), MNT_DETACH);
  }

  TempDir dir_;
  fs::path mnt_ = dir_ / "mnt";
  bool mounted_ = false;
};

TEST_F(TmpfsTest, ReadOnlyRepository) {
  if (!mount_tmpfs("1m")) GTEST_SKIP() << "mounting a tmpfs is not permitted here";
  RunResult r = run_fixnet(mnt_, {"init"});
  ASSERT_EQ(r.code, 0) << r.err;
  write_file(dir_ / "file", std::string(1000, 'r'));
  ASSERT_TRUE(remount_read_only()) << std::strerror(errno);

  r = run_fixnet(mnt_, {"add", (dir_ / "file").string()});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("Read-only file system"));
  EXPECT_THAT(r.err, HasSubstr((dir_ / "file").string()));  // names the input
  EXPECT_EQ(r.out, "");

  // eval writes objects and relations: also one line.
  r = run_fixnet(mnt_,
                 {"eval", "app:[limits, native:concat, \"" + std::string(40, 'x') + "\", \"y\"]"});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("Read-only"));

  // Reading still works.
  r = run_fixnet(mnt_, {"fsck"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  r = run_fixnet(mnt_, {"labels"});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(TmpfsTest, FullDisk) {
  if (!mount_tmpfs("256k")) GTEST_SKIP() << "mounting a tmpfs is not permitted here";
  RunResult r = run_fixnet(mnt_, {"init"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string big(2 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 2654435761u >> 13);
  write_file(dir_ / "big", big);
  write_file(dir_ / "small", std::string(100, 's'));

  r = run_fixnet(mnt_, {"add", (dir_ / "big").string()});
  ASSERT_TRUE(one_line_error(r));
  EXPECT_THAT(r.err, HasSubstr("No space left on device"));
  EXPECT_THAT(r.err, HasSubstr((dir_ / "big").string()));
  EXPECT_EQ(r.out, "");

  // Nothing half-written is left behind, and a small add still fits.
  r = run_fixnet(mnt_, {"fsck"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("no problems"));
  r = run_fixnet(mnt_, {"add", (dir_ / "small").string()});
  EXPECT_EQ(r.code, 0) << r.err;
  r = run_fixnet(mnt_, {"fsck"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
}

}  // namespace
}  // namespace fixnet::cli::testing
