// The evaluator against docs/semantics.md: one test (at least) per rule, in the document's order.
// Procedures are native test procedures; the store and relations are the in-memory ones.
#include "core/evaluator.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "core/error.h"
#include "core/error_value.h"
#include "core/memory_store.h"

namespace fixnet {
namespace {

Name u64(uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  return Name::blob_name({b, 8});
}
uint64_t as_u64(ObjectStore& s, Name n) {
  BlobData b = s.get_blob(n);
  uint64_t v = 0;
  for (size_t i = 0; i < b->size(); ++i) v |= uint64_t{static_cast<uint8_t>((*b)[i])} << (8 * i);
  return v;
}

class EvaluatorTest : public ::testing::Test {
 protected:
  EvaluatorTest() : pool(2) {
    NativeProcedures::add_builtins(natives);
    concat = NativeProcedures::procedure_name("concat");
    add = NativeProcedures::procedure_name("add");
  }
  Evaluator evaluator(EvaluatorOptions o = {}) { return Evaluator(store, relations, natives, pool, o); }
  Name blob(std::string_view s) { return store.put_blob(s); }
  Name tree(std::vector<Name> e) { return store.put_tree(std::move(e)); }
  Name app(std::vector<Name> args) {
    args.insert(args.begin(), Limits{}.to_blob_name());
    return tree(std::move(args)).application();
  }
  std::string text(Name n) { return *store.get_blob(n); }

  MemoryStore store;
  MemoryRelations relations;
  NativeProcedures natives;
  ThreadPool pool;
  Name concat, add;
};

// Rule 1: eval(Blob) = the Blob; eval(Ref) = the Ref.
TEST_F(EvaluatorTest, BlobsAndRefsEvaluateToThemselves) {
  Name b = blob(std::string(100, 'b'));
  EXPECT_EQ(evaluator().eval(b), b);
  EXPECT_EQ(evaluator().eval(b.as_ref()), b.as_ref());
}

// Rule 2: a Tree without Encodes is its own value; lazy thunks inside stay lazy.
TEST_F(EvaluatorTest, TreeWithoutEncodesIsItsOwnValueAndThunksStayLazy) {
  int runs = 0;
  Name counting = natives.add("count", [&](const Invocation& inv) { ++runs; return inv.store.put_blob("x"); });
  Name t = tree({blob("a"), app({counting})});
  EXPECT_EQ(evaluator().eval(t), t);
  EXPECT_EQ(runs, 0);
}

// Rule 3: a Strict entry is replaced by its thunk's value, a Shallow entry by a Ref to it.
TEST_F(EvaluatorTest, StrictAndShallowEntriesAreReplaced) {
  Name thunk = app({concat, blob("ab"), blob("cd")});
  Name v = evaluator().eval(tree({thunk.strict(), thunk.shallow(), blob("z")}));
  TreeData out = store.get_tree(v);
  EXPECT_EQ((*out)[0], Name::blob_name("abcd"));
  EXPECT_EQ((*out)[1], Name::blob_name("abcd").as_ref());
  EXPECT_EQ((*out)[2], Name::blob_name("z"));
}

// Rule 2 (recursive): nested Trees are evaluated too.
TEST_F(EvaluatorTest, NestedTreesAreEvaluated) {
  Name inner = tree({app({concat, blob("x"), blob("y")}).strict()});
  Name v = evaluator().eval(tree({inner}));
  Name inner_value = (*store.get_tree(v))[0];
  EXPECT_EQ((*store.get_tree(inner_value))[0], Name::blob_name("xy"));
  EXPECT_EQ(relations.get(Relation::Eval, inner), inner_value);  // recorded as a relation
}

// Rule 4: force(Identification(V)) = V.
TEST_F(EvaluatorTest, IdentificationForcesToItsValue) {
  Name v = tree({blob("q")});
  EXPECT_EQ(evaluator().force(v.identification()), v);
  EXPECT_EQ(evaluator().force(blob("hi").identification()), Name::blob_name("hi"));
}

// Rule 5: Selection of a Tree entry, a Tree slice, a Blob byte and a Blob range.
TEST_F(EvaluatorTest, Selections) {
  Name t = tree({blob("a"), blob("b"), blob("c")});
  auto ev = evaluator();
  EXPECT_EQ(ev.force(tree({t, u64(1)}).selection()), Name::blob_name("b"));
  Name slice = ev.force(tree({t, u64(1), u64(3)}).selection());
  EXPECT_EQ(*store.get_tree(slice), (std::vector<Name>{Name::blob_name("b"), Name::blob_name("c")}));
  Name big = blob(std::string(50, 'm') + "0123456789");
  EXPECT_EQ(ev.force(tree({big, u64(52)}).selection()), Name::blob_name("2"));
  EXPECT_EQ(text(ev.force(tree({big, u64(50), u64(55)}).selection())), "01234");
  EXPECT_EQ(ev.force(tree({t, u64(0), u64(0)}).selection()), Name::tree_name({}));
}

// Rule 5: a selected entry that is a thunk is forced further; a thunk target is forced first.
TEST_F(EvaluatorTest, SelectionForcesThunksOnBothSides) {
  Name t = tree({app({concat, blob("p"), blob("q")})});
  EXPECT_EQ(evaluator().force(tree({t, u64(0)}).selection()), Name::blob_name("pq"));
  Name producer = natives.add("make-tree", [](const Invocation& inv) {
    return inv.store.put_tree({inv.store.put_blob("first"), inv.store.put_blob("second")});
  });
  EXPECT_EQ(evaluator().force(tree({app({producer}), u64(1)}).selection()), Name::blob_name("second"));
}

// Rule 5: out-of-range selection is a deterministic error value, memoized.
TEST_F(EvaluatorTest, OutOfRangeSelectionIsAnErrorValue) {
  Name sel = tree({tree({blob("a")}), u64(5)}).selection();
  Name v = evaluator().force(sel);
  auto msg = error_message(store, v);
  ASSERT_TRUE(msg);
  EXPECT_NE(msg->find("out of range"), std::string::npos);
  EXPECT_EQ(relations.get(Relation::Think, sel), v);
}

// Rule 6: an Application runs its procedure on the evaluated encode tree.
TEST_F(EvaluatorTest, ApplicationSeesEvaluatedEncodeTree) {
  Name inner = app({concat, blob("in"), blob("ner")});
  Name seen;
  Name spy = natives.add("spy", [&](const Invocation& inv) {
    seen = (*inv.store.get_tree(inv.encode))[2];
    return inv.store.put_blob("ok");
  });
  EXPECT_EQ(evaluator().force(app({spy, inner.strict()})), Name::blob_name("ok"));
  EXPECT_EQ(seen, Name::blob_name("inner"));
}

// The evaluator hands runners the encode tree's entries it already read, so they need not fetch them:
// those of the evaluated tree, whether it is the Application's own tree (nothing to evaluate) or a
// new one (its Encodes replaced), and with or without the memo table read.
TEST_F(EvaluatorTest, RunnersGetTheEvaluatedEncodeTreesEntries) {
  std::vector<std::vector<Name>> seen;
  Name spy = natives.add("entries", [&](const Invocation& inv) {
    EXPECT_FALSE(inv.entries.empty());
    const std::vector<Name> entries(inv.entries.begin(), inv.entries.end());
    EXPECT_EQ(entries, *inv.store.get_tree(inv.encode));
    if (!entries.empty()) {
      EXPECT_EQ(entries[1], inv.procedure);
    }
    seen.push_back(entries);
    return inv.store.put_blob("ok");
  });
  Name plain = app({spy, blob("a")});
  Name encoded = app({spy, app({concat, blob("b"), blob("c")}).strict()});
  for (bool read_memo : {true, false}) {
    Evaluator e = evaluator({.read_memo = read_memo});
    e.force(plain);
    e.force(encoded);
  }
  ASSERT_EQ(seen.size(), 4u);  // the relations start empty: the first pass computes everything too
  EXPECT_EQ(seen[0], (std::vector<Name>{Limits{}.to_blob_name(), spy, blob("a")}));
  EXPECT_EQ(seen[1], (std::vector<Name>{Limits{}.to_blob_name(), spy, blob("bc")}));
  EXPECT_EQ(seen[2], seen[0]);
  EXPECT_EQ(seen[3], seen[1]);
}

// The evaluator keeps, per thread, the runner its last procedure was routed to: keyed by the
// evaluator too, so another evaluator on the same thread whose runner answers the same procedure
// differently gets its own runner's answer, call after call.
TEST_F(EvaluatorTest, EachEvaluatorRunsAProcedureOnItsOwnRunner) {
  NativeProcedures other_natives;
  MemoryRelations other_relations;
  Name answer = natives.add("answer", [](const Invocation&) { return Name::literal("mine"); });
  other_natives.add("answer", [](const Invocation&) { return Name::literal("theirs"); });
  Evaluator mine = evaluator({.read_memo = false});
  Evaluator theirs(store, other_relations, other_natives, pool, {.read_memo = false});
  const Name thunk = app({answer, blob("x")});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(mine.force(thunk), Name::literal("mine")) << "call " << i;
    EXPECT_EQ(theirs.force(thunk), Name::literal("theirs")) << "call " << i;
  }
  EXPECT_EQ(mine.stats().applications, 3u);
  EXPECT_EQ(theirs.stats().applications, 3u);
}

// A procedure that forces another application, of another procedure under other limits, while it
// runs: the thread's last procedure and limits change under it, but not its own invocation, and the
// next call of it is routed and limited as its own again.
TEST_F(EvaluatorTest, AnApplicationInsideAnotherChangesNothingOfIt) {
  Evaluator e = evaluator({.read_memo = false});
  bool nest = false;
  const Name inner = tree({Limits{1 << 20, 1000}.to_blob_name(), concat, blob("in"), blob("ner")}).application();
  Name outer_procedure = natives.add("outer", [&](const Invocation& inv) {
    Name inner_value = nest ? e.force(inner) : blob("none");
    std::vector<Name> entries(inv.entries.begin(), inv.entries.end());
    EXPECT_EQ(entries, *inv.store.get_tree(inv.encode)) << "the entries changed under the call";
    EXPECT_EQ(inv.limits.memory_bytes, 0u) << "the outer call's limits changed under it";
    return inv.store.put_tree({inner_value, inv.entries[2]});
  });
  const Name outer = app({outer_procedure, blob("arg")});
  EXPECT_EQ(e.force(outer), tree({blob("none"), blob("arg")}));
  nest = true;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(e.force(outer), tree({blob("inner"), blob("arg")})) << "call " << i;
  EXPECT_EQ(e.stats().applications, 7u);  // 4 outer, 3 inner
}

// An Application whose tree is itself an error value (nothing in it to evaluate) is that error, as
// when an argument fails — it is not run as [limits, procedure, …].
TEST_F(EvaluatorTest, AnApplicationOfAnErrorValueIsThatError) {
  const Name error = make_error_value(store, "earlier failure", app({concat, blob("x")}));
  for (bool read_memo : {true, false})
    EXPECT_EQ(evaluator({.read_memo = read_memo}).force(error.application()), error);
}

// Rule 6: a result that is a thunk is forced further (recursion: fib through Applications).
TEST_F(EvaluatorTest, ResultThunksAreForcedFurther) {
  Name fib_proc;
  fib_proc = natives.add("fib", [&](const Invocation& inv) {
    uint64_t n = as_u64(inv.store, (*inv.store.get_tree(inv.encode))[2]);
    if (n < 2) return u64(n);
    auto sub = [&](uint64_t k) {
      return inv.store.put_tree({Limits{}.to_blob_name(), fib_proc, u64(k)}).application().strict();
    };
    return inv.store.put_tree({Limits{}.to_blob_name(), add, sub(n - 1), sub(n - 2)}).application();
  });
  auto ev = evaluator();
  EXPECT_EQ(as_u64(store, ev.force(app({fib_proc, u64(20)}))), 6765u);
  // Memoized: fib(20) runs fib once per n and add once per n ≥ 2.
  EXPECT_EQ(ev.stats().applications.load(), 21u + 19u);
}

// Rule 6: a result that is an Encode is evaluated.
TEST_F(EvaluatorTest, ResultEncodesAreEvaluated) {
  Name ret = natives.add("ret-encode", [&](const Invocation& inv) {
    return inv.store.put_tree({Limits{}.to_blob_name(), concat, inv.store.put_blob("e"), inv.store.put_blob("n")})
        .application()
        .strict();
  });
  EXPECT_EQ(evaluator().force(app({ret})), Name::blob_name("en"));
}

// Rule 7: Strict encodes are evaluated fully: a Tree result's own encodes are replaced too.
TEST_F(EvaluatorTest, StrictResultsAreEvaluatedFully) {
  Name ret = natives.add("ret-tree", [&](const Invocation& inv) {
    Name t = inv.store.put_tree({Limits{}.to_blob_name(), concat, inv.store.put_blob("f"), inv.store.put_blob("g")});
    return inv.store.put_tree({t.application().strict()});
  });
  Name v = evaluator().eval(tree({app({ret}).strict()}));
  Name inner = (*store.get_tree(v))[0];
  EXPECT_EQ((*store.get_tree(inner))[0], Name::blob_name("fg"));
}

// Rule 8: memoization: a second force does not run the procedure; read_memo=false does.
TEST_F(EvaluatorTest, MemoHitsSkipTheProcedure) {
  int runs = 0;
  Name counting = natives.add("count2", [&](const Invocation& inv) { ++runs; return inv.store.put_blob("c"); });
  Name thunk = app({counting});
  evaluator().force(thunk);
  evaluator().force(thunk);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(relations.get(Relation::Think, thunk), Name::blob_name("c"));
  evaluator(EvaluatorOptions{.read_memo = false}).force(thunk);
  EXPECT_EQ(runs, 2);
}

// Rule 9: a procedure's own failure is an error value, memoized.
TEST_F(EvaluatorTest, ProcedureFailureIsAMemoizedErrorValue) {
  int runs = 0;
  Name failing = natives.add("fails", [&](const Invocation&) -> Name {
    ++runs;
    throw ProcedureError("fails: always");
  });
  Name thunk = app({failing});
  Name v = evaluator().force(thunk);
  EXPECT_EQ(error_message(store, v), "fails: always");
  EXPECT_EQ((*store.get_tree(v))[2], thunk);  // names the failing computation
  evaluator().force(thunk);
  EXPECT_EQ(runs, 1);
  // Built-ins fail deterministically too: concat of a Tree.
  EXPECT_TRUE(is_error_value(store, evaluator().force(app({concat, tree({})}))));
}

// Rule 9: an environmental failure is reported, never memoized.
TEST_F(EvaluatorTest, EnvironmentalFailureIsNotMemoized) {
  int runs = 0;
  Name flaky = natives.add("flaky", [&](const Invocation& inv) -> Name {
    if (++runs == 1) throw EnvironmentError("disk on fire");
    return inv.store.put_blob("fine");
  });
  Name thunk = app({flaky});
  EXPECT_THROW(evaluator().force(thunk), EnvironmentError);
  EXPECT_FALSE(relations.get(Relation::Think, thunk));
  EXPECT_EQ(evaluator().force(thunk), Name::blob_name("fine"));
}

// Rule 9: errors propagate: an Application whose argument failed fails with that error, without
// running; in a Tree, the lowest-index error wins whatever the thread timing.
TEST_F(EvaluatorTest, ErrorsPropagateLowestIndexFirst) {
  int runs = 0;
  Name counting = natives.add("count3", [&](const Invocation& inv) { ++runs; return inv.store.put_blob("c"); });
  Name bad1 = tree({tree({}), u64(1)}).selection();
  Name bad2 = tree({tree({}), u64(2)}).selection();
  Name v = evaluator().force(app({counting, bad2.strict(), bad1.strict()}));
  EXPECT_EQ(runs, 0);
  EXPECT_NE(error_message(store, v)->find("index 2"), std::string::npos);
}

// Rule 10: malformed Applications are deterministic errors.
TEST_F(EvaluatorTest, MalformedApplicationsAreErrorValues) {
  Name bad_limits = tree({blob("nolimits"), concat}).application();
  EXPECT_NE(error_message(store, evaluator().force(bad_limits))->find("limits"), std::string::npos);
  Name no_proc = tree({Limits{}.to_blob_name()}).application();
  EXPECT_TRUE(is_error_value(store, evaluator().force(no_proc)));
}

// Rule 11: a procedure may be a closure Tree [procedure, captured…].
TEST_F(EvaluatorTest, ClosureProcedures) {
  Name captured_seen;
  Name proc = natives.add("closure", [&](const Invocation& inv) {
    captured_seen = (*inv.store.get_tree(inv.procedure))[1];
    return inv.store.put_blob("closed");
  });
  Name closure = tree({proc, blob("captured")});
  EXPECT_EQ(evaluator().force(app({closure})), Name::blob_name("closed"));
  EXPECT_EQ(captured_seen, Name::blob_name("captured"));
}

// Rule 12: a procedure no runner knows is an environmental failure (another fixnet may run it).
TEST_F(EvaluatorTest, UnknownProcedureIsEnvironmental) {
  ProcedureDispatcher dispatcher;
  dispatcher.add(&natives);
  Evaluator ev(store, relations, dispatcher, pool);
  Name thunk = app({blob(std::string("\0asm\1\0\0\0", 8) + std::string(40, '\0'))});
  EXPECT_THROW(ev.force(thunk), EnvironmentError);
  EXPECT_FALSE(relations.get(Relation::Think, thunk));
  EXPECT_EQ(ev.force(app({concat, blob("d"), blob("isp")})), Name::blob_name("disp"));
}

// Rule 13: independent entries are evaluated in parallel, with the same result as sequentially.
TEST_F(EvaluatorTest, ParallelEvaluationMatchesSequential) {
  std::mutex m;
  std::set<std::thread::id> threads;
  Name slow = natives.add("which-thread", [&](const Invocation& inv) {
    {
      std::lock_guard lock(m);
      threads.insert(std::this_thread::get_id());
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
    return inv.store.put_blob((*inv.store.get_blob((*inv.store.get_tree(inv.encode))[2])) + "!");
  });
  std::vector<Name> entries;
  for (int i = 0; i < 4000; ++i) entries.push_back(app({slow, u64(i)}).strict());
  Name t = tree(entries);
  Name parallel = evaluator(EvaluatorOptions{.parallel_grain = 64}).eval(t);
  EXPECT_GE(threads.size(), 2u);
  relations.clear();
  Name sequential = evaluator(EvaluatorOptions{.parallel_grain = 1 << 30}).eval(t);
  EXPECT_EQ(parallel, sequential);
}

// eval of a bare thunk at top level forces it and evaluates the value.
TEST_F(EvaluatorTest, TopLevelThunkIsForced) {
  EXPECT_EQ(evaluator().eval(app({concat, blob("t"), blob("op")})), Name::blob_name("top"));
}

TEST_F(EvaluatorTest, ForceOfAValueIsAnInputError) {
  EXPECT_THROW(evaluator().force(blob("v")), InputError);
}

}  // namespace
}  // namespace fixnet
