// The glue answers kind, size, tree_entry, blob_u64, blob_from_u64 and the limits from the handle table
// without calling the host (fixnet_abi.h, fixnet_env); these tests pin its answers to what the host and
// the Name format say, for every kind of Name, and check that the table grows past its first capacity.
#include "fixnet/guest.h"
#include "wasm_test_util.h"

namespace fixnet::wasm::testing {
namespace {

// Returns a Tree of one u8 Blob per entry of its argument Tree (the entry's kind), then the kinds of a
// Strict and a Shallow encode of the argument's entry 3 (an Application thunk), then the kinds of its
// arguments 3 and 4 (Refs).
constexpr const char* kKinds = R"(
  (func (export "_fixnet_apply") (param $e i32) (result i32) (local $t i32) (local $i i32) (local $n i32)
    (local.set $t (call $tree_entry (local.get $e) (i64.const 2)))
    (local.set $n (i32.wrap_i64 (call $size (local.get $t))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store (i32.mul (local.get $i) (i32.const 4))
        (call $blob_from_u64
          (i64.extend_i32_u (call $kind (call $tree_entry (local.get $t) (i64.extend_i32_u (local.get $i)))))
          (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.store (i32.mul (local.get $n) (i32.const 4))
      (call $blob_from_u64 (i64.extend_i32_u (call $kind (call $strict (call $tree_entry (local.get $t) (i64.const 3)))))
                           (i32.const 1)))
    (i32.store (i32.add (i32.mul (local.get $n) (i32.const 4)) (i32.const 4))
      (call $blob_from_u64 (i64.extend_i32_u (call $kind (call $shallow (call $tree_entry (local.get $t) (i64.const 3)))))
                           (i32.const 1)))
    (i32.store (i32.add (i32.mul (local.get $n) (i32.const 4)) (i32.const 8))
      (call $blob_from_u64 (i64.extend_i32_u (call $kind (call $tree_entry (local.get $e) (i64.const 3)))) (i32.const 1)))
    (i32.store (i32.add (i32.mul (local.get $n) (i32.const 4)) (i32.const 12))
      (call $blob_from_u64 (i64.extend_i32_u (call $kind (call $tree_entry (local.get $e) (i64.const 4)))) (i32.const 1)))
    (call $tree_create (i32.const 0) (i32.add (local.get $n) (i32.const 4)))))";

constexpr const char* kEncodeImports = R"(
  (import "fixnet" "strict" (func $strict (param i32) (result i32)))
  (import "fixnet" "shallow" (func $shallow (param i32) (result i32)))
  (import "fixnet" "limit_memory" (func $limit_memory (result i64)))
  (import "fixnet" "limit_fuel" (func $limit_fuel (result i64))))";

std::string with_encode_imports(std::string_view body) {
  return with_imports(body, std::string(kEncodeImports) + "(memory 1)");
}

class GlueFastPathTest : public WasmTest {};

TEST_F(GlueFastPathTest, KindsOfEveryNameAreTheHostsKinds) {
  Name pair = tree({u8(1), u8(2)});
  Name entries = tree({u8(7), blob(std::string(100, 'c')), pair, pair.application(), u8(3).identification(),
                       tree({pair, u8(0)}).selection(), tree({})});
  Name blob_ref = blob(std::string(50, 'r')).identification().shallow();
  Name tree_ref = pair.identification().shallow();
  Name result = run(module(with_encode_imports(kKinds)), {entries, blob_ref, tree_ref});
  ASSERT_TRUE(result.is_tree()) << error_of(result);
  std::vector<uint64_t> kinds;
  for (Name k : *store.get_tree(result)) kinds.push_back(from_le(k.literal_bytes()));
  EXPECT_EQ(kinds, (std::vector<uint64_t>{FIXNET_KIND_BLOB, FIXNET_KIND_BLOB, FIXNET_KIND_TREE,
                                          FIXNET_KIND_APPLICATION, FIXNET_KIND_IDENTIFICATION,
                                          FIXNET_KIND_SELECTION, FIXNET_KIND_TREE, FIXNET_KIND_STRICT,
                                          FIXNET_KIND_SHALLOW, FIXNET_KIND_BLOB_REF, FIXNET_KIND_TREE_REF}));
}

TEST_F(GlueFastPathTest, SizesAndSmallIntegersAreTheNamesOwn) {
  // [size(arg), blob_u64(arg) if it is a Blob of at most 8 bytes else 0] for each argument.
  Name describe = module(with_imports(R"(
    (func (export "_fixnet_apply") (param $e i32) (result i32) (local $i i32) (local $a i32) (local $n i32)
      (local.set $n (i32.sub (i32.wrap_i64 (call $size (local.get $e))) (i32.const 2)))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a (call $tree_entry (local.get $e) (i64.extend_i32_u (i32.add (local.get $i) (i32.const 2)))))
        (i32.store (i32.mul (local.get $i) (i32.const 8)) (call $blob_from_u64 (call $size (local.get $a)) (i32.const 8)))
        (i32.store (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 4))
          (call $blob_from_u64
            (if (result i64) (i32.and (i32.eq (call $kind (local.get $a)) (i32.const 1))
                                      (i64.le_u (call $size (local.get $a)) (i64.const 8)))
              (then (call $blob_u64 (local.get $a))) (else (i64.const 0)))
            (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (call $tree_create (i32.const 0) (i32.mul (local.get $n) (i32.const 2)))))"));
  const uint64_t big = 0x0123456789abcdefULL;
  Name stored_u64 = Name::blob_name(u64le(big));  // 8 bytes: a literal
  std::vector<Name> args{u8(0), Name::literal(""), u64(big), stored_u64, blob(std::string(31, 'x')),
                         tree({u8(1), u8(2), u8(3)}), Name::literal(std::string(30, 'y'))};
  Name result = run(describe, args);
  ASSERT_TRUE(result.is_tree()) << error_of(result);
  auto out = store.get_tree(result);
  ASSERT_EQ(out->size(), 2 * args.size());
  const std::vector<uint64_t> sizes{1, 0, 8, 8, 31, 3, 30}, values{0, 0, big, big, 0, 0, 0};
  for (size_t i = 0; i < args.size(); ++i) {
    EXPECT_EQ(from_le(bytes((*out)[2 * i])), sizes[i]) << "argument " << i;
    EXPECT_EQ(from_le(bytes((*out)[2 * i + 1])), values[i]) << "argument " << i;
  }
}

TEST_F(GlueFastPathTest, CreatedIntegersAreTheLiteralsTheHostWouldMake) {
  // blob_from_u64(0x1122334455667788, n) for n = 0..8, as a Tree.
  Name widths = module(with_imports(R"(
    (func (export "_fixnet_apply") (param $e i32) (result i32) (local $i i32)
      (block $done (loop $next
        (br_if $done (i32.gt_u (local.get $i) (i32.const 8)))
        (i32.store (i32.mul (local.get $i) (i32.const 4))
          (call $blob_from_u64 (i64.const 0x1122334455667788) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (call $tree_create (i32.const 0) (i32.const 9))))"));
  Name result = run(widths, {});
  ASSERT_TRUE(result.is_tree()) << error_of(result);
  const std::string le = u64le(0x1122334455667788ULL);
  auto out = store.get_tree(result);
  ASSERT_EQ(out->size(), 9u);
  for (size_t n = 0; n <= 8; ++n) EXPECT_EQ((*out)[n], Name::literal(le.substr(0, n))) << n << " bytes";
}

TEST_F(GlueFastPathTest, TheTableGrowsPastItsFirstCapacity) {
  // Reads entry i of its argument (a Tree of 1000 u64s) 1000 times and sums them: 1000 handles made by
  // the glue and the host, each read back.
  Name sum = module(with_imports(R"(
    (func (export "_fixnet_apply") (param $e i32) (result i32) (local $t i32) (local $i i64) (local $s i64)
      (local.set $t (call $tree_entry (local.get $e) (i64.const 2)))
      (block $done (loop $next
        (br_if $done (i64.ge_u (local.get $i) (call $size (local.get $t))))
        (local.set $s (i64.add (local.get $s) (call $blob_u64 (call $tree_entry (local.get $t) (local.get $i)))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
      (call $blob_from_u64 (local.get $s) (i32.const 8))))"));
  std::vector<Name> numbers;
  for (uint64_t i = 0; i < 1000; ++i) numbers.push_back(u64(i * 3));
  Name result = run(sum, {tree(numbers)});
  EXPECT_EQ(from_le(bytes(result)), 3u * 999 * 1000 / 2) << error_of(result);
}

TEST_F(GlueFastPathTest, LimitsAreTheInvocations) {
  Name limits_of = module(with_encode_imports(R"(
    (func (export "_fixnet_apply") (param $e i32) (result i32)
      (i32.store (i32.const 0) (call $blob_from_u64 (call $limit_memory) (i32.const 8)))
      (i32.store (i32.const 4) (call $blob_from_u64 (call $limit_fuel) (i32.const 8)))
      (call $tree_create (i32.const 0) (i32.const 2))))"));
  Name result = run(limits_of, {}, limits(1 << 20, 123456789));
  ASSERT_TRUE(result.is_tree()) << error_of(result);
  auto out = store.get_tree(result);
  EXPECT_EQ(from_le(bytes((*out)[0])), uint64_t{1} << 20);
  EXPECT_EQ(from_le(bytes((*out)[1])), 123456789u);
}

}  // namespace
}  // namespace fixnet::wasm::testing
