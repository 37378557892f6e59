// Repository: persistence across reopen and processes, locate, labels, resolve, gc, concurrency.
// Damage and environment failures (corruption, full disk, read-only) are in
// repository_fault_test.cc.
#include "core/repository.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <set>
#include <thread>

#include "core/error.h"
#include "repository_test_util.h"

namespace fixnet {
namespace {

using testing::big;
using testing::contains_text;
using testing::object_file;
using testing::read_bytes;
using testing::ScopedEnv;
using testing::TempDir;
namespace fs = std::filesystem;

class RepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override { repo_ = Repository::init(tmp_.path()); }
  // A second, independent Repository on the same directory: it sees only what is on disk.
  std::unique_ptr<Repository> reopen() { return Repository::open(fixnet_dir()); }
  fs::path fixnet_dir() const { return tmp_.path() / ".fixnet"; }
  size_t segment_count() const {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(fixnet_dir() / "relations"))
      n += e.path().extension() == ".seg";
    return n;
  }

  TempDir tmp_;
  std::unique_ptr<Repository> repo_;
};

TEST_F(RepositoryTest, InitWritesTheDocumentedLayoutAndIsIdempotent) {
  EXPECT_EQ(read_bytes(fixnet_dir() / "FORMAT"), "fixnet repository\nlayout 1\nname-layout 1\n");
  for (const char* sub : {"objects", "relations", "labels", "cache", "tmp"})
    EXPECT_TRUE(fs::is_directory(fixnet_dir() / sub)) << sub;
  EXPECT_EQ(repo_->path(), fixnet_dir());
  EXPECT_EQ(repo_->cache_dir(), fixnet_dir() / "cache");
  Name b = repo_->put_blob(big("survives a second init"));
  repo_.reset();
  repo_ = Repository::init(tmp_.path());
  EXPECT_EQ(*repo_->get_blob(b), big("survives a second init"));
}

TEST_F(RepositoryTest, BlobsAndTreesSurviveReopen) {
  const std::string bytes = big("a blob on disk");
  Name blob = repo_->put_blob(bytes);
  Name literal = repo_->put_blob("tiny");
  Name tree = repo_->put_tree({blob, literal});
  Name empty = repo_->put_tree({});
  repo_.reset();

  auto again = reopen();
  EXPECT_EQ(*again->get_blob(blob), bytes);
  EXPECT_EQ(*again->get_blob(literal), "tiny");
  EXPECT_EQ(*again->get_tree(tree), (std::vector<Name>{blob, literal}));
  EXPECT_EQ(*again->get_tree(tree.application()), (std::vector<Name>{blob, literal}));  // a role
  EXPECT_TRUE(again->get_tree(empty)->empty());
  EXPECT_TRUE(again->contains(blob));
  EXPECT_TRUE(again->contains(tree.application()));
  EXPECT_TRUE(again->contains(literal));

  // The documented files: raw bytes for a Blob, the entries' 32-byte Names for a Tree, no file
  // for a literal.
  EXPECT_EQ(read_bytes(object_file(fixnet_dir(), blob)), bytes);
  EXPECT_EQ(read_bytes(object_file(fixnet_dir(), tree)), std::string(tree_bytes({blob, literal})));
  std::vector<Name> listed = again->objects();
  EXPECT_EQ(std::set<Name>(listed.begin(), listed.end()), (std::set<Name>{blob, tree, empty}));
}

TEST_F(RepositoryTest, MissingObjectIsNotFoundAndWrongKindIsInputError) {
  Name absent = Name::blob_name(big("never stored"));
  try {
    repo_->get_blob(absent);
    FAIL() << "expected NotFoundError";
  } catch (const NotFoundError& e) {
    EXPECT_TRUE(contains_text(e.what(), absent.hex())) << e.what();
  }
  EXPECT_FALSE(repo_->contains(absent));
  Name tree = repo_->put_tree({});
  EXPECT_THROW(repo_->get_blob(tree), InputError);
  Name blob = repo_->put_blob(big("a blob"));
  EXPECT_THROW(repo_->get_tree(blob), InputError);
  EXPECT_THROW(repo_->put_tree({Name()}), InputError);  // a null entry could never be read back
}

TEST_F(RepositoryTest, RelationsPersistAcrossReopen) {
  Name in = repo_->put_tree({repo_->put_blob(big("input"))});
  Name out = repo_->put_blob(big("output"));
  repo_->put(Relation::Think, in.application(), out);
  repo_->put(Relation::Eval, in, in);
  repo_->flush();
  repo_->put(Relation::Eval, out, out);  // not flushed: the destructor writes it
  repo_.reset();

  auto again = reopen();
  EXPECT_EQ(again->get(Relation::Think, in.application()), out);
  EXPECT_EQ(again->get(Relation::Eval, in), in);
  EXPECT_EQ(again->get(Relation::Eval, out), out);
  EXPECT_FALSE(again->get(Relation::Think, in));
  size_t n = 0;
  again->for_each([&](Relation, Name, Name) { ++n; });
  EXPECT_EQ(n, 3u);
  EXPECT_THROW(again->put(Relation::Eval, Name(), out), InputError);
}

TEST_F(RepositoryTest, FlushWithNothingNewWritesNoSegment) {
  repo_->flush();
  EXPECT_EQ(segment_count(), 0u);
  Name b = repo_->put_blob(big("x"));
  repo_->put(Relation::Eval, b, b);
  repo_->put(Relation::Eval, b, b);  // the same relation again is not new
  repo_->flush();
  repo_->flush();
  EXPECT_EQ(segment_count(), 1u);
}

TEST_F(RepositoryTest, SegmentFileHasTheDocumentedFormat) {
  Name key = repo_->put_tree({}).application();
  Name value = Name::blob_name("v");
  repo_->put(Relation::Think, key, value);
  repo_->flush();
  ASSERT_EQ(segment_count(), 1u);
  std::string seg;
  for (const auto& e : fs::directory_iterator(fixnet_dir() / "relations")) seg = read_bytes(e.path());
  ASSERT_EQ(seg.size(), 16u + 65u + 32u);
  EXPECT_EQ(seg.substr(0, 4), "FXRL");
  EXPECT_EQ(seg.substr(4, 4), std::string("\x01\0\0\0", 4));          // version 1, LE
  EXPECT_EQ(seg.substr(8, 8), std::string("\x01\0\0\0\0\0\0\0", 8));  // one record, LE
  EXPECT_EQ(seg[16], 1);                                              // Think
  EXPECT_EQ(seg.substr(17, 32), std::string(reinterpret_cast<const char*>(key.bytes().data()), 32));
  EXPECT_EQ(seg.substr(49, 32), std::string(reinterpret_cast<const char*>(value.bytes().data()), 32));
  auto sum = sha256(std::string_view(seg).substr(0, 16 + 65));
  EXPECT_EQ(seg.substr(81), std::string(reinterpret_cast<const char*>(sum.data()), 32));
}

TEST_F(RepositoryTest, ManySegmentsAreMergedWithoutLosingRelations) {
  std::vector<Name> keys;
  for (int i = 0; i < 40; ++i) {
    keys.push_back(repo_->put_blob(big("key " + std::to_string(i))));
    repo_->put(Relation::Eval, keys.back(), keys.back());
    repo_->flush();
  }
  EXPECT_LE(segment_count(), 17u);
  auto again = reopen();
  for (Name k : keys) EXPECT_EQ(again->get(Relation::Eval, k), k);
  EXPECT_TRUE(again->fsck().ok());
}

// A second process (not just a second object) sees flushed relations and objects, and its own
// writes are seen back.
TEST_F(RepositoryTest, RelationsAreSharedWithAnotherProcess) {
  Name key = repo_->put_blob(big("parent key"));
  Name value = repo_->put_blob(big("parent value"));
  repo_->put(Relation::Eval, key, value);
  repo_->flush();
  const Name child_key = Name::blob_name(big("child key"));

  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int code = 0;
    try {
      auto child = Repository::open(fixnet_dir());
      if (child->get(Relation::Eval, key) != value)
        code = 1;
      else if (*child->get_blob(value) != big("parent value"))
        code = 2;
      else
        child->put(Relation::Think, child->put_blob(big("child key")).identification(), key);
    } catch (...) {
      code = 3;
    }
    ::_exit(code);  // the child's Repository was destroyed (and flushed) inside the try
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto again = reopen();
  EXPECT_EQ(again->get(Relation::Think, child_key.identification()), key);
  EXPECT_EQ(*again->get_blob(child_key), big("child key"));
}

TEST_F(RepositoryTest, OpenRejectsNewerLayoutsAndNonRepositories) {
  repo_.reset();
  testing::write_bytes(fixnet_dir() / "FORMAT", "fixnet repository\nlayout 2\nname-layout 1\n");
  try {
    Repository::open(fixnet_dir());
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains_text(e.what(), "upgrade fixnet")) << e.what();
  }
  testing::write_bytes(fixnet_dir() / "FORMAT", "fixnet repository\nlayout 1\nname-layout 9\n");
  EXPECT_THROW(Repository::open(fixnet_dir()), InputError);
  testing::write_bytes(fixnet_dir() / "FORMAT", "something else\n");
  EXPECT_THROW(Repository::open(fixnet_dir()), InputError);
  TempDir empty;
  try {
    Repository::open(empty.path());
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains_text(e.what(), "fixnet init")) << e.what();
  }
}

TEST_F(RepositoryTest, LocateSearchesUpwardFromStart) {
  ScopedEnv no_env("FIXNET_DIR", std::nullopt);
  const fs::path deep = tmp_.path() / "a" / "b" / "c";
  fs::create_directories(deep);
  EXPECT_EQ(Repository::locate(deep), fixnet_dir());
  EXPECT_EQ(Repository::locate(tmp_.path()), fixnet_dir());
  // A nested repository is found first.
  auto inner = Repository::init(tmp_.path() / "a");
  EXPECT_EQ(Repository::locate(deep), tmp_.path() / "a" / ".fixnet");
}

TEST_F(RepositoryTest, LocatePrefersFixnetDir) {
  TempDir other;
  auto other_repo = Repository::init(other.path());
  ScopedEnv env("FIXNET_DIR", (other.path() / ".fixnet").string());
  EXPECT_EQ(Repository::locate(tmp_.path()), other.path() / ".fixnet");
  ScopedEnv bad("FIXNET_DIR", (other.path() / "nope").string());
  EXPECT_THROW(Repository::locate(tmp_.path()), InputError);
}

TEST(RepositoryLocate, NoRepositoryTellsToInit) {
  ScopedEnv no_env("FIXNET_DIR", std::nullopt);
  TempDir tmp;
  for (fs::path p = tmp.path(); p != p.parent_path(); p = p.parent_path())
    if (fs::exists(p.parent_path() / ".fixnet")) GTEST_SKIP() << "a .fixnet exists above " << p;
  try {
    Repository::locate(tmp.path());
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains_text(e.what(), tmp.path().string())) << e.what();
    EXPECT_TRUE(contains_text(e.what(), "fixnet init")) << e.what();
  }
}

TEST_F(RepositoryTest, LabelsSetGetListRemove) {
  Name a = repo_->put_blob(big("a")), b = repo_->put_tree({a});
  repo_->set_label("release-1.0_final", a);
  repo_->set_label("b", b.application());  // a label may name any role
  EXPECT_EQ(read_bytes(fixnet_dir() / "labels" / "b"), b.application().hex() + "\n");
  EXPECT_EQ(repo_->label("release-1.0_final"), a);
  EXPECT_FALSE(repo_->label("absent"));
  repo_->set_label("b", a);  // overwrite
  EXPECT_EQ(reopen()->labels(), (std::map<std::string, Name>{{"b", a}, {"release-1.0_final", a}}));
  EXPECT_TRUE(repo_->remove_label("b"));
  EXPECT_FALSE(repo_->remove_label("b"));
  EXPECT_EQ(repo_->labels().size(), 1u);
  for (const std::string& bad :
       std::vector<std::string>{"", ".hidden", "-flag", "a/b", "sp ace", std::string(201, 'x')}) {
    EXPECT_THROW(repo_->set_label(bad, a), InputError) << bad;
    EXPECT_THROW(repo_->label(bad), InputError) << bad;
  }
  EXPECT_NO_THROW(repo_->set_label(std::string(200, 'x'), a));
  EXPECT_THROW(repo_->set_label("null", Name()), InputError);
}

TEST_F(RepositoryTest, MalformedLabelFileIsAnInputErrorNamingTheFile) {
  const fs::path file = fixnet_dir() / "labels" / "broken";
  { std::ofstream(file) << "not a name\n"; }
  try {
    repo_->label("broken");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains_text(e.what(), file.string())) << e.what();
  }
  EXPECT_THROW(repo_->labels(), InputError);
}

TEST_F(RepositoryTest, ResolveLabelFullHexAndUniquePrefix) {
  Name blob = repo_->put_blob(big("resolve me"));
  Name tree = repo_->put_tree({blob});
  EXPECT_EQ(repo_->resolve(blob.hex()), blob);
  EXPECT_EQ(repo_->resolve(tree.hex()), tree);
  EXPECT_EQ(repo_->resolve(blob.hex().substr(0, 12)), blob);
  std::string upper = blob.hex().substr(0, 10);
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(repo_->resolve(upper), blob);
  // A full Name need not be known: it is a Name either way.
  Name unknown = Name::blob_name(big("nowhere"));
  EXPECT_EQ(repo_->resolve(unknown.hex()), unknown);
  // Names known only from relations and labels are found too.
  Name result = Name::blob_name(big("only a relation value"));
  repo_->put(Relation::Think, tree.application(), result);
  EXPECT_EQ(repo_->resolve(result.hex().substr(0, 8)), result);
  Name labelled = Name::blob_name(big("only a label target"));
  repo_->set_label("target", labelled);
  EXPECT_EQ(repo_->resolve(labelled.hex().substr(0, 8)), labelled);
  EXPECT_EQ(repo_->resolve("target"), labelled);
  // A label wins over a hex prefix of the same spelling.
  repo_->set_label(tree.hex().substr(0, 6), blob);
  EXPECT_EQ(repo_->resolve(tree.hex().substr(0, 6)), blob);
}

TEST_F(RepositoryTest, ResolveAmbiguousPrefixListsCandidates) {
  // Store blobs until two share their first four hex digits (expected after ~300).
  std::map<std::string, Name> by_prefix;
  std::optional<std::pair<Name, Name>> pair;
  for (int i = 0; i < 20000 && !pair; ++i) {
    Name n = repo_->put_blob(big("ambiguous " + std::to_string(i)));
    auto [it, fresh] = by_prefix.emplace(n.hex().substr(0, 4), n);
    if (!fresh) pair = std::pair{it->second, n};
  }
  ASSERT_TRUE(pair);
  const std::string prefix = pair->first.hex().substr(0, 4);
  try {
    repo_->resolve(prefix);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_TRUE(contains_text(msg, pair->first.short_hex(16) + " (Blob)")) << msg;
    EXPECT_TRUE(contains_text(msg, pair->second.short_hex(16) + " (Blob)")) << msg;
    EXPECT_TRUE(contains_text(msg, "more digits")) << msg;
  }
  // Enough digits to tell them apart resolve.
  const std::string a = pair->first.hex(), b = pair->second.hex();
  size_t differ = 0;
  while (a[differ] == b[differ]) ++differ;
  EXPECT_EQ(repo_->resolve(a.substr(0, differ + 4)), pair->first);

  // Names that differ only in role (the last byte) are shown in full, so they can be told apart.
  Name tree = repo_->put_tree({pair->first});
  repo_->put(Relation::Think, tree.application(), pair->second);
  try {
    repo_->resolve(tree.hex().substr(0, 20));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains_text(e.what(), tree.hex() + " (Tree)")) << e.what();
    EXPECT_TRUE(contains_text(e.what(), tree.application().hex() + " (Application)")) << e.what();
  }
}

TEST_F(RepositoryTest, ResolveUnknownOrMalformedTextIsAnInputError) {
  repo_->put_blob(big("something"));
  try {
    repo_->resolve("0123456789");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains_text(e.what(), "no object known by '0123456789'")) << e.what();
    EXPECT_TRUE(contains_text(e.what(), "fixnet labels")) << e.what();
  }
  EXPECT_THROW(repo_->resolve("abc"), InputError);  // too short, not a label
  EXPECT_THROW(repo_->resolve("not hex!"), InputError);
  EXPECT_THROW(repo_->resolve(std::string(65, 'a')), InputError);
  EXPECT_THROW(repo_->resolve("nolabel"), InputError);
}

// Layout of the gc test: a label on T reaches T's entries, the result R of Think(Application(T))
// and R's entries, and the Eval result E of Strict(Application(T)). Everything else goes.
struct GcFixture {
  Name a, c, r, t, e, x, x_tree, y, z;
  explicit GcFixture(Repository& repo) {
    a = repo.put_blob(big("kept by label"));
    c = repo.put_blob(big("entry of result"));
    r = repo.put_tree({c});
    t = repo.put_tree({a, Name::blob_name("literal")});
    repo.put(Relation::Think, t.application(), r);
    e = repo.put_blob(big("evaluated result"));
    repo.put(Relation::Eval, t.application().strict(), e);
    x = repo.put_blob(big("unlabelled input"));
    x_tree = repo.put_tree({x});
    y = repo.put_blob(big("unlabelled result"));
    repo.put(Relation::Think, x_tree.application(), y);
    z = repo.put_blob(big("garbage"));
    repo.set_label("main", t);
  }
  std::set<Name> kept() const { return {a, c, r, t, e}; }
  std::set<Name> removed() const { return {x, x_tree, y, z}; }
};

TEST_F(RepositoryTest, GcDryRunReportsButRemovesNothing) {
  GcFixture f(*repo_);
  repo_->flush();
  GcReport report = repo_->gc(/*dry_run=*/true);
  EXPECT_EQ(report.objects_kept, 5u);
  EXPECT_EQ(std::set<Name>(report.objects_removed.begin(), report.objects_removed.end()), f.removed());
  uint64_t bytes = 0;
  for (Name n : f.removed()) bytes += fs::file_size(object_file(fixnet_dir(), n));
  EXPECT_EQ(report.bytes_removed, bytes);
  EXPECT_EQ(report.relations_kept, 2u);
  EXPECT_EQ(report.relations_removed, 1u);
  auto again = reopen();
  for (Name n : f.removed()) EXPECT_TRUE(fs::exists(object_file(fixnet_dir(), n)));
  EXPECT_EQ(again->get(Relation::Think, f.x_tree.application()), f.y);
}

TEST_F(RepositoryTest, GcKeepsLabelledObjectsAndTheirMemoizedResults) {
  GcFixture f(*repo_);  // relations deliberately left unflushed: gc must see them too
  const fs::path old_tmp = fixnet_dir() / "tmp" / "crashed-write.tmp";
  const fs::path new_tmp = fixnet_dir() / "tmp" / "live-write.tmp";
  { std::ofstream(old_tmp) << "left by a crash"; }
  { std::ofstream(new_tmp) << "being written"; }
  fs::last_write_time(old_tmp, fs::file_time_type::clock::now() - std::chrono::hours(2));

  GcReport report = repo_->gc(/*dry_run=*/false);
  EXPECT_EQ(report.objects_kept, 5u);
  EXPECT_EQ(report.objects_removed.size(), 4u);
  EXPECT_EQ(report.relations_kept, 2u);
  EXPECT_EQ(report.relations_removed, 1u);
  for (Name n : f.removed()) {
    EXPECT_FALSE(fs::exists(object_file(fixnet_dir(), n)));
    EXPECT_FALSE(repo_->contains(n));  // dropped from the cache too
  }
  EXPECT_THROW(repo_->get_blob(f.z), NotFoundError);
  EXPECT_THROW(repo_->get_tree(f.x_tree), NotFoundError);
  EXPECT_FALSE(repo_->get(Relation::Think, f.x_tree.application()));
  EXPECT_FALSE(fs::exists(old_tmp));
  EXPECT_TRUE(fs::exists(new_tmp));
  EXPECT_EQ(segment_count(), 1u);

  repo_.reset();
  auto again = reopen();
  for (Name n : f.kept()) EXPECT_TRUE(again->contains(n)) << n.hex();
  EXPECT_EQ(*again->get_tree(f.r), std::vector<Name>{f.c});
  EXPECT_EQ(again->get(Relation::Think, f.t.application()), f.r);
  EXPECT_EQ(again->get(Relation::Eval, f.t.application().strict()), f.e);
  EXPECT_FALSE(again->get(Relation::Think, f.x_tree.application()));
  EXPECT_TRUE(again->fsck().ok());
  // A second gc finds nothing more to remove.
  GcReport second = again->gc(false);
  EXPECT_TRUE(second.objects_removed.empty());
  EXPECT_EQ(second.relations_kept, 2u);
}

// An object file newer than gc's start was written by someone while gc ran: it is kept even though
// no label reaches it yet (the writer may be about to label or memoize it).
// A labelled result keeps how it was made: the Application that produced it, that Application's
// inputs, and the computations that produced those inputs — so `why` and `reproduce` survive gc.
// A literal result does not pull in every computation that happened to produce the same bytes.
TEST_F(RepositoryTest, GcKeepsTheProvenanceOfLabelledResults) {
  Name input = repo_->put_blob(big("input"));
  Name step1_tree = repo_->put_tree({input});
  Name middle = repo_->put_blob(big("intermediate"));
  repo_->put(Relation::Think, step1_tree.application(), middle);
  // A sub-computation whose result is a literal, produced through a second thunk (as fib(n)
  // returns add(...)): the second thunk is provenance too.
  const Name small = Name::blob_name("L");
  Name sub_tree = repo_->put_tree({repo_->put_blob(big("sub input"))});
  repo_->put(Relation::Think, sub_tree.application(), small);
  Name returned_tree = repo_->put_tree({repo_->put_blob(big("returned thunk input"))});
  repo_->put(Relation::Think, returned_tree.application(), small);
  Name step2_tree = repo_->put_tree({middle, Name::blob_name("2"), sub_tree.application().strict()});
  Name result = repo_->put_blob(big("result"));
  repo_->put(Relation::Think, step2_tree.application(), result);
  Name unrelated_tree = repo_->put_tree({repo_->put_blob(big("other input"))});
  repo_->put(Relation::Think, unrelated_tree.application(), Name::blob_name("2"));  // same literal
  repo_->set_label("result", result);

  GcReport report = repo_->gc(/*dry_run=*/false);
  EXPECT_EQ(report.objects_kept, 9u);
  EXPECT_EQ(report.relations_kept, 4u);
  EXPECT_EQ(report.relations_removed, 1u);
  auto again = reopen();
  EXPECT_EQ(again->get(Relation::Think, step2_tree.application()), result);
  EXPECT_EQ(again->get(Relation::Think, returned_tree.application()), small);
  EXPECT_TRUE(again->get_tree(returned_tree));
  EXPECT_EQ(again->get(Relation::Think, step1_tree.application()), middle);
  EXPECT_EQ(again->get_tree(step1_tree)->at(0), input);
  EXPECT_FALSE(again->get(Relation::Think, unrelated_tree.application()));
  EXPECT_THROW(again->get_tree(unrelated_tree), NotFoundError);
}

TEST_F(RepositoryTest, GcKeepsObjectsWrittenWhileItRuns) {
  Name old_garbage = repo_->put_blob(big("old garbage"));
  Name fresh = repo_->put_blob(big("written by another process during gc"));
  repo_->flush();  // committed, as another process's object would be
  fs::last_write_time(object_file(fixnet_dir(), fresh),
                      fs::file_time_type::clock::now() + std::chrono::hours(1));
  GcReport report = repo_->gc(false);
  EXPECT_EQ(report.objects_removed, std::vector<Name>{old_garbage});
  EXPECT_TRUE(fs::exists(object_file(fixnet_dir(), fresh)));
}

TEST_F(RepositoryTest, ResolveIgnoresAMalformedLabelWhenMatchingPrefixes) {
  Name blob = repo_->put_blob(big("still resolvable"));
  { std::ofstream(fixnet_dir() / "labels" / "broken") << "garbage\n"; }
  EXPECT_EQ(repo_->resolve(blob.hex().substr(0, 8)), blob);
  EXPECT_THROW(repo_->resolve("broken"), InputError);  // the label itself is an error naming it
}

// Many threads (through two Repository objects on one directory, as two processes would) put,
// get and memoize at once; then many threads read the result back through an empty cache.
TEST(RepositoryConcurrency, ManyThreadsPutGetAndMemoize) {
  // On a tmpfs when possible: this tests locking, not the fsync latency of the disk (~4 ms here).
  testing::TmpfsMount disk;
  TempDir fallback;
  const fs::path root = disk.mount("size=256m").empty() ? disk.path() : fallback.path();
  std::unique_ptr<Repository> repos[2] = {Repository::init(root), Repository::open(root / ".fixnet")};
  constexpr int kThreads = 4, kPerThread = 2500, kShared = 50;
  std::atomic<int> bad{0};
  auto content = [](int t, int i) { return big("object " + std::to_string(t) + "/" + std::to_string(i)); };
  auto shared = [](int i) { return big("shared " + std::to_string(i)); };
  auto run_threads = [&](auto body) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        try {
          body(t);
        } catch (const std::exception& e) {
          ADD_FAILURE() << e.what();
          ++bad;
        }
      });
    for (auto& th : threads) th.join();
  };

  run_threads([&](int t) {
    Repository& repo = *repos[t % 2];
    for (int i = 0; i < kPerThread; ++i) {
      Name n = repo.put_blob(content(t, i));
      if (*repo.get_blob(n) != content(t, i)) ++bad;
      Name s = repo.put_blob(shared(i % kShared));  // every thread writes the same objects
      if (*repo.get_blob(s) != shared(i % kShared)) ++bad;
      if (i % 10 == 0) repo.put(Relation::Eval, n, s);
      if (i % 100 == 0) repo.put(Relation::Think, repo.put_tree({n, s}).application(), s);
      if (i % 500 == 0) repo.flush();
    }
  });
  ASSERT_EQ(bad.load(), 0);
  repos[0].reset();
  repos[1].reset();

  auto again = Repository::open(root / ".fixnet");
  EXPECT_EQ(again->objects().size(), size_t{kThreads} * (kPerThread + kPerThread / 100) + kShared);
  run_threads([&](int t) {
    const int other = (t + 1) % kThreads;  // read what another thread wrote, from disk
    for (int i = 0; i < kPerThread; ++i) {
      Name n = Name::blob_name(content(other, i));
      if (*again->get_blob(n) != content(other, i)) ++bad;
      Name s = Name::blob_name(shared(i % kShared));
      if (i % 10 == 0 && again->get(Relation::Eval, n) != s) ++bad;
      if (i % 100 == 0) {
        Name tree = Name::tree_name(std::vector<Name>{n, s});
        if (again->get(Relation::Think, tree.application()) != s) ++bad;
        if (again->get_tree(tree)->at(0) != n) ++bad;
      }
    }
  });
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(again->fsck().ok());
}

}  // namespace
}  // namespace fixnet
