#include "flatware/virtual_fs.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "flatware_test_util.h"

namespace fixnet::flatware::testing {
namespace {

// /a.txt "hello", /big/ (a directory never looked into), /d/ { e.txt "e", sub/ { deep "deep" } },
// /abs -> /d/e.txt, /rel -> d/sub, /loop1 -> loop2, /loop2 -> loop1, /out -> ../x
struct Sample {
  CountingStore store;
  Name big, d, root;
  Sample() {
    big = tree(store, {file(store, "huge", std::string(100, 'h'))});
    d = tree(store, {file(store, "e.txt", "e"), dir(store, "sub", {file(store, "deep", "deep")})});
    root = tree(store, {file(store, "a.txt", "hello"),
                        link(store, "abs", "/d/e.txt"),
                        {"big", 040755, big},
                        {"d", 040700, d},
                        link(store, "loop1", "loop2"),
                        link(store, "loop2", "loop1"),
                        link(store, "out", "../x"),
                        link(store, "rel", "d/sub")});
  }
};

TEST(VirtualFs, UntouchedTreeIsReEmittedByNameWithoutReading) {
  Sample s;
  VirtualFs fs(s.store, s.root);
  NodePtr n;
  ASSERT_EQ(fs.resolve(fs.root(), "a.txt", true, n), Errno::success);
  EXPECT_EQ(fs.size(*n), 5u);  // from the Name: the Blob is not read
  EXPECT_FALSE(s.store.was_read(s.store.put_blob("hello")));
  EXPECT_EQ(fs.to_tree(), s.root);
  EXPECT_FALSE(s.store.was_read(s.big));
}

TEST(VirtualFs, ChangesAreEmittedCanonicallyAndUntouchedSubtreesKeepTheirName) {
  Sample s;
  VirtualFs fs(s.store, s.root);
  NodePtr a;
  ASSERT_EQ(fs.resolve(fs.root(), "a.txt", true, a), Errno::success);
  fs.write(*a, 5, " world");
  ASSERT_EQ(fs.mkdir(fs.root(), "0new"), Errno::success);
  ASSERT_EQ(fs.unlink(fs.root(), "loop1"), Errno::success);
  ASSERT_EQ(fs.rename(fs.root(), "d/e.txt", fs.root(), "zz"), Errno::success);
  ASSERT_EQ(fs.symlink("a.txt", fs.root(), "ln"), Errno::success);
  Lookup where;
  NodePtr created;
  ASSERT_EQ(fs.locate(fs.root(), "d/sub/made", false, where), Errno::success);
  ASSERT_EQ(fs.create_file(where, created), Errno::success);

  CountingStore& st = s.store;
  const Name expected = tree(
      st, {dir(st, "0new", {}, 040755),
           file(st, "a.txt", "hello world"),
           link(st, "abs", "/d/e.txt"),
           {"big", 040755, s.big},
           dir(st, "d", {dir(st, "sub", {file(st, "deep", "deep"), file(st, "made", "", 0100644)})}, 040700),
           link(st, "ln", "a.txt"),
           link(st, "loop2", "loop1"),
           link(st, "out", "../x"),
           link(st, "rel", "d/sub"),
           file(st, "zz", "e")});
  EXPECT_EQ(fs.to_tree(), expected);
  EXPECT_FALSE(st.was_read(s.big));  // emitted by Name
}

TEST(VirtualFs, ResolutionRules) {
  Sample s;
  VirtualFs fs(s.store, s.root);
  NodePtr n;
  // `..` at the root is the root (as POSIX and Node's uvwasi have it): nothing climbs out.
  ASSERT_EQ(fs.resolve(fs.root(), "..", true, n), Errno::success);
  EXPECT_EQ(n, fs.root());
  ASSERT_EQ(fs.resolve(fs.root(), "d/../../a.txt", true, n), Errno::success);
  EXPECT_EQ(fs.content(*n), "hello");
  EXPECT_EQ(fs.resolve(fs.root(), "out", true, n), Errno::noent);  // link to ../x: /x, which is not there
  EXPECT_EQ(fs.resolve(fs.root(), "/a.txt", true, n), Errno::notcapable);
  EXPECT_EQ(fs.resolve(fs.root(), "loop1", true, n), Errno::loop);
  EXPECT_EQ(fs.resolve(fs.root(), "loop1", false, n), Errno::success);
  EXPECT_EQ(n->kind, NodeKind::symlink);
  EXPECT_EQ(fs.resolve(fs.root(), "a.txt/x", true, n), Errno::notdir);
  EXPECT_EQ(fs.resolve(fs.root(), "a.txt/", true, n), Errno::notdir);
  EXPECT_EQ(fs.resolve(fs.root(), "missing/x", true, n), Errno::noent);
  EXPECT_EQ(fs.resolve(fs.root(), "", true, n), Errno::noent);

  ASSERT_EQ(fs.resolve(fs.root(), "abs", true, n), Errno::success);  // absolute target: from the root
  EXPECT_EQ(fs.content(*n), "e");
  ASSERT_EQ(fs.resolve(fs.root(), "rel/deep", true, n), Errno::success);
  EXPECT_EQ(fs.content(*n), "deep");
  NodePtr sub;
  ASSERT_EQ(fs.resolve(fs.root(), "d/./sub/", true, sub), Errno::success);
  ASSERT_EQ(fs.resolve(sub, "../e.txt", true, n), Errno::success);  // `..` below the root is fine
  EXPECT_EQ(fs.content(*n), "e");
  ASSERT_EQ(fs.resolve(sub, "../../a.txt", true, n), Errno::success);
  ASSERT_EQ(fs.resolve(sub, "../../../..", true, n), Errno::success);
  EXPECT_EQ(n, fs.root());
}

TEST(VirtualFs, ThirtyTwoHopsResolveAndThirtyThreeLoop) {
  CountingStore st;
  std::vector<Entry> entries;
  for (int i = 0; i < 33; ++i)
    entries.push_back(link(st, fmt::format("l{:02}", i), fmt::format("l{:02}", i + 1)));
  entries.push_back(file(st, "l33", "end"));
  const Name root = tree(st, entries);
  VirtualFs fs(st, root);
  NodePtr n;
  EXPECT_EQ(fs.resolve(fs.root(), "l01", true, n), Errno::success);  // 32 links
  EXPECT_EQ(fs.content(*n), "end");
  EXPECT_EQ(fs.resolve(fs.root(), "l00", true, n), Errno::loop);  // 33 links
}

TEST(VirtualFs, DirectoryOperationErrors) {
  Sample s;
  VirtualFs fs(s.store, s.root);
  EXPECT_EQ(fs.rmdir(fs.root(), "d"), Errno::notempty);
  EXPECT_EQ(fs.rmdir(fs.root(), "a.txt"), Errno::notdir);
  EXPECT_EQ(fs.rmdir(fs.root(), "."), Errno::inval);
  EXPECT_EQ(fs.unlink(fs.root(), "d"), Errno::isdir);
  EXPECT_EQ(fs.unlink(fs.root(), "nope"), Errno::noent);
  EXPECT_EQ(fs.mkdir(fs.root(), "d"), Errno::exist);
  EXPECT_EQ(fs.mkdir(fs.root(), "no/such"), Errno::noent);
  EXPECT_EQ(fs.symlink("x", fs.root(), "a.txt"), Errno::exist);
  EXPECT_EQ(fs.rename(fs.root(), "d", fs.root(), "d/sub/inside"), Errno::inval);
  EXPECT_EQ(fs.rename(fs.root(), "d", fs.root(), "a.txt"), Errno::notdir);
  EXPECT_EQ(fs.rename(fs.root(), "a.txt", fs.root(), "d"), Errno::isdir);
  EXPECT_EQ(fs.rename(fs.root(), "big", fs.root(), "d"), Errno::notempty);
  std::string target;
  EXPECT_EQ(fs.readlink(fs.root(), "a.txt", target), Errno::inval);
  ASSERT_EQ(fs.readlink(fs.root(), "rel", target), Errno::success);
  EXPECT_EQ(target, "d/sub");
  EXPECT_EQ(fs.to_tree(), s.root);  // none of the failures changed anything
}

TEST(VirtualFs, RenameReplacesPerPosix) {
  Sample s;
  VirtualFs fs(s.store, s.root);
  ASSERT_EQ(fs.rename(fs.root(), "a.txt", fs.root(), "d/e.txt"), Errno::success);  // file over file
  ASSERT_EQ(fs.mkdir(fs.root(), "empty"), Errno::success);
  ASSERT_EQ(fs.rename(fs.root(), "d/sub", fs.root(), "empty"), Errno::success);  // dir over empty dir
  NodePtr n;
  ASSERT_EQ(fs.resolve(fs.root(), "d/e.txt", true, n), Errno::success);
  EXPECT_EQ(fs.content(*n), "hello");
  EXPECT_EQ(fs.resolve(fs.root(), "a.txt", true, n), Errno::noent);
  ASSERT_EQ(fs.resolve(fs.root(), "empty/deep", true, n), Errno::success);
  EXPECT_EQ(fs.resolve(fs.root(), "d/sub", true, n), Errno::noent);
  ASSERT_EQ(fs.rename(fs.root(), "empty", fs.root(), "empty"), Errno::success);  // onto itself
}

TEST(VirtualFs, InodesAreAssignedInOrderOfFirstVisit) {
  Sample s;
  auto inos = [&](VirtualFs& fs) {
    std::vector<uint64_t> out;
    for (const char* p : {"d/sub/deep", "a.txt", "big/huge"}) {
      NodePtr n;
      EXPECT_EQ(fs.resolve(fs.root(), p, false, n), Errno::success);
      out.push_back(n->ino);
    }
    return out;
  };
  VirtualFs one(s.store, s.root), two(s.store, s.root);
  const auto first = inos(one);
  EXPECT_EQ(first, inos(two));
  EXPECT_EQ(one.root()->ino, 1u);
  // The root's entries (8) get 2..9 when it is first looked into; a.txt is the first of them.
  EXPECT_EQ(first[1], 2u);
  EXPECT_LT(first[1], first[0]);
}

TEST(VirtualFs, MalformedTreesAreProcedureErrors) {
  CountingStore st;
  auto rejects = [&](Name root) {
    VirtualFs fs(st, root);
    NodePtr n;
    EXPECT_THROW(fs.resolve(fs.root(), "x", true, n), ProcedureError);
  };
  rejects(tree(st, {file(st, "b", ""), file(st, "a", "")}));         // not sorted
  rejects(tree(st, {file(st, "a", ""), file(st, "a", "")}));         // duplicate
  rejects(tree(st, {{"f", 040755, st.put_blob("not a tree")}}));     // mode says dir
  rejects(tree(st, {{"f", 0100644 | 010000000, st.put_blob("")}}));  // stray mode bits
  rejects(tree(st, {file(st, "a/b", "")}));                          // slash in a name
  rejects(st.put_tree({st.put_blob("not an entry")}));
}

TEST(VirtualFs, SparseWritesZeroFill) {
  CountingStore st;
  VirtualFs fs(st, tree(st, {}));
  Lookup where;
  NodePtr f;
  ASSERT_EQ(fs.locate(fs.root(), "f", false, where), Errno::success);
  ASSERT_EQ(fs.create_file(where, f), Errno::success);
  fs.write(*f, 4, "x");
  EXPECT_EQ(fs.content(*f), std::string("\0\0\0\0x", 5));
  fs.set_size(*f, 2);
  EXPECT_EQ(fs.content(*f), std::string(2, '\0'));
}

}  // namespace
}  // namespace fixnet::flatware::testing
