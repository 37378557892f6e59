// Smoke test of the benchmarks behind `fixnet bench`: each runs on quick inputs and prints one JSON
// object with the keys docs/performance.md documents. The benchmarks that run Wasm procedures
// (eval, invoke, compile) are run through the `fixnet` binary by tests/cli/bench_test.cc. No timing assertions: figures from a shared
// test machine say nothing, and a benchmark's job is to report them, not to judge them.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "bench/bench.h"
#include "core/error.h"

namespace fixnet::bench {
namespace {

Options quick_json() {
  Options o;
  o.json = true;
  o.quick = true;
  o.seconds = 0.01;
  return o;
}

const std::map<std::string, std::vector<std::string>> documented = {
    {"hash",
     {"name_1KiB", "sha256_1KiB", "evp_1KiB", "name_1MiB", "sha256_1MiB", "evp_1MiB",
      "overhead_1KiB", "overhead_1KiB_vs_sha256", "overhead_1KiB_vs_evp", "overhead_1MiB"}},
    {"store",
     {"put_1t", "map_put_1t", "get_1t", "map_get_1t", "put_2t", "map_put_2t", "get_2t",
      "map_get_2t", "put_1t_over_map", "get_1t_over_map", "put_2t_over_map", "get_2t_over_map"}},
};

class BenchSmoke : public ::testing::TestWithParam<std::string> {};

TEST_P(BenchSmoke, PrintsOneJsonObjectWithTheDocumentedKeys) {
  testing::internal::CaptureStdout();
  int status = run(GetParam(), quick_json());
  std::string out = testing::internal::GetCapturedStdout();
  ASSERT_EQ(status, 0);
  nlohmann::json j = nlohmann::json::parse(out);  // throws (and fails) unless exactly one value

  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("bench"), GetParam());
  EXPECT_TRUE(j.at("description").is_string());
  EXPECT_TRUE(j.at("method").is_string());
  ASSERT_TRUE(j.at("rows").is_array());
  ASSERT_FALSE(j.at("rows").empty());
  std::set<std::string> keys;  // row and ratio names
  for (const auto& row : j.at("rows")) keys.insert(row.at("name").get<std::string>());
  for (const auto& row : j.at("rows")) {
    EXPECT_TRUE(row.at("name").is_string());
    EXPECT_TRUE(row.at("value").is_number()) << row.dump();
    EXPECT_TRUE(row.at("unit").is_string());
    if (row.contains("ratio")) {
      EXPECT_TRUE(row.at("ratio").is_number()) << row.dump();
      EXPECT_TRUE(keys.count(row.at("baseline").get<std::string>()))
          << "no such row: " << row.dump();
    }
  }
  ASSERT_TRUE(j.at("ratios").is_object());
  EXPECT_FALSE(j.at("ratios").empty());
  for (const auto& [name, value] : j.at("ratios").items()) {
    EXPECT_TRUE(value.is_number()) << name;
    keys.insert(name);
  }
  // JSON consumers key by these names: docs/performance.md promises them.
  for (const std::string& k : documented.at(GetParam())) EXPECT_TRUE(keys.count(k)) << k;
  ASSERT_TRUE(j.at("targets").is_object());
  for (const auto& [name, target] : j.at("targets").items()) {
    EXPECT_TRUE(target.at("of").is_string()) << name;
    EXPECT_TRUE(target.at("max").is_number()) << name;
    EXPECT_TRUE(target.at("value").is_number()) << name;
    EXPECT_TRUE(target.at("met").is_boolean()) << name;
  }
  EXPECT_TRUE(j.at("inputs").is_object());
  EXPECT_EQ(j.at("options").at("quick"), true);
  EXPECT_TRUE(j.at("options").at("seconds").is_number());
  EXPECT_TRUE(j.at("options").at("threads").is_number());
  EXPECT_GE(j.at("machine").at("cores").get<int>(), 1);
  EXPECT_GE(j.at("machine").at("threads").get<int>(), 1);
}

TEST(Bench, PrintsAHumanTableWithoutJson) {
  Options o = quick_json();
  o.json = false;
  std::ostringstream out;
  EXPECT_EQ(run("hash", o, out), 0);
  EXPECT_NE(out.str().find("name_1KiB"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("MB/s"), std::string::npos);
  EXPECT_NE(out.str().find("method:"), std::string::npos);
}

TEST(Bench, UnknownNamesAndBadOptionsAreInputErrors) {
  EXPECT_THROW(run("nosuch", quick_json()), InputError);
  Options o = quick_json();
  o.seconds = 0;
  EXPECT_THROW(run("hash", o), InputError);
  EXPECT_EQ(names(), (std::vector<std::string>{"hash", "store", "eval", "invoke", "compile", "flatware", "rpc", "rpc-policy", "rpc-upgrade", "hotel"}));
  for (const BenchmarkInfo& b : benchmarks()) EXPECT_FALSE(b.description.empty());
}

INSTANTIATE_TEST_SUITE_P(All, BenchSmoke, ::testing::Values("hash", "store"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace fixnet::bench
