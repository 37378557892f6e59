// Repository under damage and failure: corrupt or truncated files, a full disk, a read-only
// filesystem, a writer killed mid-write. Each failure must be reported naming the file or Name and
// must leave a repository that fsck calls consistent.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "core/error.h"
#include "core/repository.h"
#include "repository_test_util.h"

namespace fixnet {
namespace {

using testing::big;
using testing::contains_text;
using testing::flip_bit;
using testing::object_file;
using testing::read_bytes;
using testing::TempDir;
using testing::TmpfsMount;
using testing::write_bytes;
namespace fs = std::filesystem;

std::string relative_object(Name n) {
  const std::string hex = n.content_name().hex();
  return "objects/" + hex.substr(0, 2) + "/" + hex.substr(2);
}

// The problems fsck reports for one file, joined; "" when it reports none.
std::string problems_for(const FsckReport& report, const std::string& path) {
  std::string out;
  for (const FsckProblem& p : report.problems)
    if (p.path == path) out += p.problem + "\n";
  return out;
}

std::vector<fs::path> segments(const fs::path& fixnet_dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fixnet_dir / "relations")) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

class RepositoryCorruption : public ::testing::Test {
 protected:
  void SetUp() override { repo_ = Repository::init(tmp_.path()); }
  fs::path fixnet_dir() const { return tmp_.path() / ".fixnet"; }
  // A fresh Repository: nothing cached, so every read goes to the files.
  std::unique_ptr<Repository> reopen() {
    repo_.reset();
    return Repository::open(fixnet_dir());
  }
  // Expects `read` to throw an EnvironmentError (not NotFound) naming `n` and 'fixnet fsck'.
  template <typename Read>
  void expect_corrupt(Name n, Read read, const std::string& what) {
    try {
      read();
      ADD_FAILURE() << "reading a damaged object succeeded";
    } catch (const NotFoundError& e) {
      ADD_FAILURE() << "damage reported as missing: " << e.what();
    } catch (const EnvironmentError& e) {
      EXPECT_TRUE(contains_text(e.what(), n.hex())) << e.what();
      EXPECT_TRUE(contains_text(e.what(), what)) << e.what();
      EXPECT_TRUE(contains_text(e.what(), "fixnet fsck")) << e.what();
    }
  }

  TempDir tmp_;
  std::unique_ptr<Repository> repo_;
};

TEST_F(RepositoryCorruption, HealthyRepositoryChecksEverythingAndReportsProgress) {
  Name b = repo_->put_blob(big("b"));
  Name t = repo_->put_tree({b, Name::blob_name("lit")});
  repo_->put(Relation::Think, t.application(), b);
  repo_->put(Relation::Eval, b, Name::blob_name("literal values need no object"));
  repo_->set_label("t", t);
  repo_->flush();
  { std::ofstream(fixnet_dir() / "tmp" / "left-by-a-crash.tmp") << "partial"; }
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  FsckReport report = reopen()->fsck([&](uint64_t done, uint64_t total) { calls.emplace_back(done, total); });
  EXPECT_TRUE(report.ok()) << report.problems.front().path << ": " << report.problems.front().problem;
  EXPECT_EQ(report.objects_checked, 2u);
  EXPECT_EQ(report.relations_checked, 2u);
  EXPECT_EQ(report.labels_checked, 1u);
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), (std::pair<uint64_t, uint64_t>{2, 2}));
}

TEST_F(RepositoryCorruption, FlippedBitInABlobIsDetected) {
  Name b = repo_->put_blob(big("a blob that will rot"));
  auto again = reopen();
  flip_bit(object_file(fixnet_dir(), b), 5);
  expect_corrupt(
      b, [&] { again->get_blob(b); }, "hash");
  FsckReport report = again->fsck();
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(contains_text(problems_for(report, relative_object(b)), "hash"));
}

TEST_F(RepositoryCorruption, FlippedBitInATreeIsDetected) {
  Name t = repo_->put_tree({repo_->put_blob(big("x")), Name::blob_name("y")});
  auto again = reopen();
  flip_bit(object_file(fixnet_dir(), t), 40);
  expect_corrupt(
      t, [&] { again->get_tree(t.application()); }, "hash");
  EXPECT_FALSE(problems_for(again->fsck(), relative_object(t)).empty());
}

TEST_F(RepositoryCorruption, TreeWithAnInvalidEntryIsDetected) {
  // The hash matches the bytes, but an entry is the null Name, which no Tree may hold.
  std::vector<Name> entries{Name::blob_name("ok"), Name()};
  Name t = Name::tree_name(entries);
  fs::create_directories(object_file(fixnet_dir(), t).parent_path());
  write_bytes(object_file(fixnet_dir(), t), std::string(tree_bytes(entries)));
  auto again = reopen();
  expect_corrupt(
      t, [&] { again->get_tree(t); }, "tree entry 1");
  EXPECT_TRUE(contains_text(problems_for(again->fsck(), relative_object(t)), "tree entry 1"));
}

TEST_F(RepositoryCorruption, TruncatedObjectIsDetected) {
  Name b = repo_->put_blob(std::string(1000, 'q'));
  auto again = reopen();
  const fs::path file = object_file(fixnet_dir(), b);
  fs::resize_file(file, 500);
  expect_corrupt(
      b, [&] { again->get_blob(b); }, "size is 500 bytes");
  EXPECT_TRUE(contains_text(problems_for(again->fsck(), relative_object(b)), "size is 500"));
  // Putting the object again repairs it.
  again->put_blob(std::string(1000, 'q'));
  again->flush();  // objects reach other processes when committed
  EXPECT_TRUE(Repository::open(fixnet_dir())->fsck().ok());
}

TEST_F(RepositoryCorruption, StrayFilesInObjectsAreReported) {
  repo_->put_blob(big("real"));
  fs::create_directories(fixnet_dir() / "objects" / "zz");
  fs::create_directories(fixnet_dir() / "objects" / "ab");
  { std::ofstream(fixnet_dir() / "objects" / "ab" / "not-an-object") << "?"; }
  { std::ofstream(fixnet_dir() / "objects" / "README") << "?"; }
  FsckReport report = repo_->fsck();
  EXPECT_FALSE(problems_for(report, "objects/zz").empty());
  EXPECT_FALSE(problems_for(report, "objects/ab/not-an-object").empty());
  EXPECT_FALSE(problems_for(report, "objects/README").empty());
  EXPECT_EQ(repo_->objects().size(), 1u);  // and objects() ignores them
}

TEST_F(RepositoryCorruption, DamagedSegmentIsSkippedAndReported) {
  Name a = repo_->put_blob(big("a")), b = repo_->put_blob(big("b"));
  repo_->put(Relation::Eval, a, a);
  repo_->flush();
  repo_->put(Relation::Eval, b, b);
  repo_->flush();
  auto files = segments(fixnet_dir());
  ASSERT_EQ(files.size(), 2u);
  repo_.reset();
  flip_bit(files[1], 20);  // inside the record of the second segment
  ::testing::internal::CaptureStderr();
  auto again = Repository::open(fixnet_dir());
  EXPECT_EQ(again->get(Relation::Eval, a), a);  // the good segment still loads
  EXPECT_FALSE(again->get(Relation::Eval, b));
  const std::string warning = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains_text(warning, files[1].string())) << warning;
  const std::string rel = "relations/" + files[1].filename().string();
  EXPECT_TRUE(contains_text(problems_for(again->fsck(), rel), "checksum"));

  write_bytes(files[1], read_bytes(files[1]).substr(0, 40));  // truncated
  EXPECT_FALSE(problems_for(again->fsck(), rel).empty());
}

TEST_F(RepositoryCorruption, RelationToAMissingObjectIsReported) {
  Name key = repo_->put_blob(big("stored key"));
  Name absent = Name::blob_name(big("never stored"));
  repo_->put(Relation::Eval, key, absent);
  repo_->flush();
  const std::string rel = "relations/" + segments(fixnet_dir()).at(0).filename().string();
  const std::string problems = problems_for(repo_->fsck(), rel);
  EXPECT_TRUE(contains_text(problems, absent.short_hex(16))) << problems;
  EXPECT_TRUE(contains_text(problems, "not in the repository")) << problems;
}

TEST_F(RepositoryCorruption, LabelToAMissingObjectIsReported) {
  Name b = repo_->put_blob(big("labelled"));
  repo_->set_label("gone", b);
  repo_->set_label("fine", Name::blob_name("a literal needs no object"));
  fs::remove(object_file(fixnet_dir(), b));
  { std::ofstream(fixnet_dir() / "labels" / "garbled") << "xyz\n"; }
  FsckReport report = reopen()->fsck();
  EXPECT_TRUE(contains_text(problems_for(report, "labels/gone"), b.short_hex(16)));
  EXPECT_TRUE(contains_text(problems_for(report, "labels/garbled"), "malformed"));
  EXPECT_TRUE(problems_for(report, "labels/fine").empty());
  EXPECT_EQ(report.labels_checked, 3u);
}

// A writer killed at any moment leaves a repository fsck calls consistent (tmp/ leftovers are
// allowed) and the relations it flushed readable.
TEST_F(RepositoryCorruption, WriterKilledMidWriteLeavesAConsistentRepository) {
  repo_.reset();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      auto child = Repository::open(fixnet_dir());
      for (int i = 0;; ++i) {
        Name n = child->put_blob(std::string(4096 + i, static_cast<char>('a' + i % 26)));
        child->put(Relation::Eval, child->put_tree({n}), n);
        if (i % 7 == 0) child->flush();
      }
    } catch (...) {
    }
    ::_exit(1);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself";
  auto again = Repository::open(fixnet_dir());
  FsckReport report = again->fsck();
  EXPECT_TRUE(report.ok()) << report.problems.front().path << ": " << report.problems.front().problem;
  EXPECT_GT(report.objects_checked, 0u);
  again->for_each([&](Relation, Name key, Name value) { EXPECT_EQ(again->get_tree(key)->at(0), value); });
}

// A full filesystem: a failed write says so, names the object and the fix, leaves nothing
// half-written, and everything written before stays readable.
TEST(RepositoryFullDisk, WritesFailCleanlyAndEverythingWrittenIsReadable) {
  TmpfsMount disk;
  if (std::string why = disk.mount("size=256k"); !why.empty()) GTEST_SKIP() << why;
  auto repo = Repository::init(disk.path());
  const fs::path fixnet_dir = disk.path() / ".fixnet";
  std::vector<std::pair<Name, std::string>> written;
  std::vector<std::string> errors;
  // Large blobs first, then smaller ones, until not even one more page is free.
  for (size_t size : {8192, 1024, 100}) {
    for (int i = 0; i < 10000; ++i) {
      std::string bytes = std::to_string(size) + "/" + std::to_string(i);
      bytes.resize(size, 'f');
      try {
        written.emplace_back(repo->put_blob(bytes), bytes);
      } catch (const EnvironmentError& e) {
        errors.push_back(e.what());
        EXPECT_TRUE(contains_text(e.what(), Name::blob_name(bytes).hex())) << e.what();
        break;
      }
    }
  }
  ASSERT_EQ(errors.size(), 3u) << "the 256 KiB filesystem never filled up";
  for (const std::string& e : errors) {
    EXPECT_TRUE(contains_text(e, "No space left on device")) << e;
    EXPECT_TRUE(contains_text(e, "free space")) << e;
  }
  ASSERT_FALSE(written.empty());
  EXPECT_TRUE(fs::is_empty(fixnet_dir / "tmp"));  // no half-written temporary files

  // A relation cannot be flushed either; it stays buffered and usable.
  Name key = written.front().first, value = written.back().first;
  repo->put(Relation::Eval, key, value);
  try {
    repo->flush();
    ADD_FAILURE() << "flush succeeded on a full disk";
  } catch (const EnvironmentError& e) {
    EXPECT_TRUE(contains_text(e.what(), "No space left on device")) << e.what();
    EXPECT_TRUE(contains_text(e.what(), (fixnet_dir / "relations").string())) << e.what();
  }
  EXPECT_EQ(repo->get(Relation::Eval, key), value);

  {
    auto reader = Repository::open(fixnet_dir);
    FsckReport report = reader->fsck();
    EXPECT_TRUE(report.ok()) << report.problems.front().path << ": " << report.problems.front().problem;
    EXPECT_EQ(report.objects_checked, written.size());
    for (const auto& [name, bytes] : written) ASSERT_EQ(*reader->get_blob(name), bytes);
  }

  // With space again, the buffered relation is written.
  ASSERT_EQ(disk.remount(0, "size=2m"), "");
  repo->flush();
  EXPECT_EQ(Repository::open(fixnet_dir)->get(Relation::Eval, key), value);
}

// A read-only filesystem: writes fail naming the cause, reads keep working.
TEST(RepositoryReadOnly, WritesFailAndReadsWork) {
  TmpfsMount disk;
  if (std::string why = disk.mount("size=1m"); !why.empty()) GTEST_SKIP() << why;
  const fs::path fixnet_dir = disk.path() / ".fixnet";
  auto repo = Repository::init(disk.path());
  Name blob = repo->put_blob(big("written before"));
  Name tree = repo->put_tree({blob});
  repo->put(Relation::Think, tree.application(), blob);
  repo->set_label("before", tree);
  repo->flush();
  ASSERT_EQ(disk.remount(MS_RDONLY, ""), "");

  Name fresh = Name::blob_name(big("written after"));
  try {
    repo->put_blob(big("written after"));
    ADD_FAILURE() << "put succeeded on a read-only filesystem";
  } catch (const EnvironmentError& e) {
    EXPECT_TRUE(contains_text(e.what(), "Read-only file system")) << e.what();
    EXPECT_TRUE(contains_text(e.what(), fresh.hex())) << e.what();
  }
  EXPECT_THROW(repo->put_tree({fresh}), EnvironmentError);
  EXPECT_THROW(repo->set_label("after", blob), EnvironmentError);
  repo->put(Relation::Eval, blob, blob);
  EXPECT_THROW(repo->flush(), EnvironmentError);
  EXPECT_EQ(repo->get(Relation::Eval, blob), blob);  // still known in memory

  auto reader = Repository::open(fixnet_dir);
  EXPECT_EQ(*reader->get_blob(blob), big("written before"));
  EXPECT_EQ(*reader->get_tree(tree), std::vector<Name>{blob});
  EXPECT_EQ(reader->get(Relation::Think, tree.application()), blob);
  EXPECT_EQ(reader->label("before"), tree);
  EXPECT_EQ(reader->resolve(blob.hex().substr(0, 8)), blob);
  EXPECT_TRUE(reader->fsck().ok());

  // The destructor cannot flush: it warns on stderr and does not throw.
  ::testing::internal::CaptureStderr();
  repo.reset();
  const std::string warning = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(contains_text(warning, "not saved")) << warning;
}

}  // namespace
}  // namespace fixnet
