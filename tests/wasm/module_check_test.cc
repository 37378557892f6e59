// Inspection facts (what a pooled instance must restore) and the toolchain's translation stage.
#include "wasm/c_codegen.h"
#include "wasm/module_check.h"
#include "wasm/toolchain.h"
#include "wasm_test_util.h"

namespace fixnet::wasm::testing {
namespace {

ModuleFacts facts_of(std::string_view body, std::string_view memory = "(memory 1)") {
  const std::string func =
      std::string(R"((func (export "_fixnet_apply") (param $e i32) (result i32) )") + std::string(body) + " (local.get $e))";
  return check_module(wat_to_wasm(with_imports(func, memory))).facts;
}

TEST(ModuleCheck, FactsSayWhatAResetMustRestore) {
  ModuleFacts pure = facts_of("(drop (i32.load (i32.const 0)))");
  EXPECT_TRUE(pure.imports_fixnet);
  EXPECT_FALSE(pure.may_write_memory);
  EXPECT_FALSE(pure.may_write_table);
  EXPECT_TRUE(facts_of("(i32.store (i32.const 0) (i32.const 1))").may_write_memory);
  EXPECT_TRUE(facts_of("(block (if (local.get $e) (then (loop (i32.store8 (i32.const 0) (i32.const 1))))))")
                  .may_write_memory);
  EXPECT_TRUE(facts_of("(drop (memory.grow (i32.const 1)))").may_write_memory);
  EXPECT_TRUE(facts_of("(memory.fill (i32.const 0) (i32.const 0) (i32.const 1))").may_write_memory);
  EXPECT_TRUE(facts_of("(table.copy (i32.const 0) (i32.const 0) (i32.const 0))", "(memory 1) (table 1 funcref)")
                  .may_write_table);
}

TEST(ModuleCheck, AModuleWithoutImportsIsFine) {
  CheckedModule m = check_module(wat_to_wasm(R"((module (func (export "_fixnet_apply") (param i32) (result i32) (local.get 0))))"));
  EXPECT_FALSE(m.facts.imports_fixnet);
}

TEST(Translation, ProducesOneTranslationUnitWithTheGlue) {
  GeneratedC c = translate_module(wat_to_wasm(with_imports(R"(
    (func (export "_fixnet_apply") (param $e i32) (result i32) (loop $l (br_if $l (i32.const 0))) (local.get $e)))")));
  EXPECT_THAT(c.header, ::testing::HasSubstr("Z_mZ___fixnet_fuel"));
  EXPECT_THAT(c.header, ::testing::HasSubstr("Z_mZ___fixnet_depth"));
  EXPECT_THAT(c.source, ::testing::HasSubstr("fixnet_wasm_bind_v1"));
  EXPECT_THAT(c.source, ::testing::HasSubstr("#define wasm_rt_call_stack_depth (*Z_mZ___fixnet_depth(instance))"));
  // Deterministic: the same module gives the same C.
  EXPECT_EQ(translate_module(wat_to_wasm(with_imports(R"((func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))"))).source,
            translate_module(wat_to_wasm(with_imports(R"((func (export "_fixnet_apply") (param i32) (result i32) (local.get 0)))"))).source);
}

}  // namespace
}  // namespace fixnet::wasm::testing
