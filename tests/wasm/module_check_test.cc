// Inspection facts (what a pooled instance must restore) and the toolchain's translation stage.
#include "wasm/module_check.h"

#include "wasm/c_codegen.h"
#include "wasm/instrument.h"
#include "wasm/toolchain.h"
#include "wasm_test_util.h"

namespace fixnet::wasm::testing {
namespace {

ModuleFacts facts_of(std::string_view body, std::string_view memory = "(memory 1)") {
  const std::string func = std::string(R"((func (export "_fixnet_apply") (param $e i32) (result i32) )") +
                           std::string(body) + " (local.get $e))";
  return check_module(wat_to_wasm(with_imports(func, memory))).facts;
}

TEST(ModuleCheck, FactsSayWhatAResetMustRestore) {
  ModuleFacts pure = facts_of("(i32.store (i32.const 0) (i32.const 1))");
  EXPECT_TRUE(pure.imports_fixnet);
  EXPECT_FALSE(pure.may_write_table);
  EXPECT_TRUE(
      facts_of("(table.copy (i32.const 0) (i32.const 0) (i32.const 0))", "(memory 1) (table 1 funcref)")
          .may_write_table);
}

TEST(Instrumentation, DirtyChunksCoverTheInitialMemoryIn64) {
  EXPECT_EQ(dirty_shift_for(0), 12u);
  EXPECT_EQ(dirty_shift_for(2 * 65536), 12u);  // 32 chunks of 4 KiB
  EXPECT_EQ(dirty_shift_for(4 * 65536), 12u);  // 64 chunks of 4 KiB
  EXPECT_EQ(dirty_shift_for(5 * 65536), 13u);
  EXPECT_EQ(dirty_shift_for(65535 * uint64_t{65536}), 26u);
}

TEST(ModuleCheck, AModuleWithoutImportsIsFine) {
  CheckedModule m = check_module(
      wat_to_wasm(R"((module (func (export "_fixnet_apply") (param i32) (result i32) (local.get 0))))"));
  EXPECT_FALSE(m.facts.imports_fixnet);
}

TEST(Translation, ProducesOneTranslationUnitWithTheGlue) {
  GeneratedC c = translate_module(wat_to_wasm(with_imports(R"(
    (func (export "_fixnet_apply") (param $e i32) (result i32)
      (loop $l (br_if $l (i32.const 0))) (local.get $e)))")));
  EXPECT_THAT(c.header, ::testing::HasSubstr("Z_mZ___fixnet_fuel"));
  EXPECT_THAT(c.header, ::testing::HasSubstr("Z_mZ___fixnet_depth"));
  EXPECT_THAT(c.source, ::testing::HasSubstr("fixnet_wasm_bind_v1"));
  EXPECT_THAT(c.source,
              ::testing::HasSubstr("#define wasm_rt_call_stack_depth (*Z_mZ___fixnet_depth(instance))"));
  // Deterministic: the same module gives the same C.
  EXPECT_EQ(
      translate_module(wat_to_wasm(with_imports(
                           R"((func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))")))
          .source,
      translate_module(wat_to_wasm(with_imports(
                           R"((func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))")))
          .source);
}

}  // namespace
}  // namespace fixnet::wasm::testing
