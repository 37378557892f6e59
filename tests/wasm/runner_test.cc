// WasmRunner through the real Evaluator: results, fresh state per invocation, and that every trap and
// misuse becomes a memoized error value naming it (docs/wasm.md, "Traps").
#include <thread>

#include "wasm_test_util.h"

namespace fixnet::wasm::testing {
namespace {

// add(u8, u8) -> u8, through the guest API's small-integer calls.
constexpr const char* kAdd = R"(
  (func (export "_fixnet_apply") (param $e i32) (result i32)
    (call $blob_from_u64
      (i64.and (i64.add (call $blob_u64 (call $tree_entry (local.get $e) (i64.const 2)))
                        (call $blob_u64 (call $tree_entry (local.get $e) (i64.const 3))))
               (i64.const 255))
      (i32.const 1))))";

class RunnerTest : public WasmTest {};

TEST_F(RunnerTest, AddsTwoU8Literals) {
  Name add = module(with_imports(kAdd));
  Name result = run(add, {u8(200), u8(100)});
  ASSERT_TRUE(result.is_blob()) << error_of(result);
  EXPECT_EQ(bytes(result), std::string(1, static_cast<char>(44)));
  EXPECT_EQ(bytes(run(add, {u8(1), u8(2)})), std::string(1, '\3'));
}

}  // namespace
}  // namespace fixnet::wasm::testing
