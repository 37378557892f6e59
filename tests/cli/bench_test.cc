// `fixnet bench invoke|compile|eval|flatware|rpc|rpc-policy|hotel --quick --json`, run as a user runs them (no repository, no source
// tree: the example procedures are embedded; hotel runs the source tree's examples/hotel/run): each prints one JSON object holding every key
// docs/performance.md documents, with positive figures. Correctness only: timings from a shared test
// machine say nothing, so no figure is compared with a threshold.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli_test_util.h"

namespace fixnet::cli::testing {
namespace {

struct Documented {
  std::vector<std::string> rows, ratios, targets, not_measured;
};

// bench rpc: the same rows for each system compared, and sockperf's latency.
std::vector<std::string> rpc_rows() {
  std::vector<std::string> rows;
  for (const char* system : {"raw_tcp", "grpc", "grpc_nginx", "fixnet", "fixnet_raw", "grpc_interop"})
    for (const char* figure : {"median", "p99", "cpu_per_rpc", "rate", "rate_per_core", "goodput_8k", "goodput_64k",
                               "goodput_1m", "goodput_8m"})
      rows.push_back(std::string(system) + "_" + figure);
  rows.insert(rows.end(), {"sockperf_median", "sockperf_p99"});  // Debian's sockperf, installed by scripts/setup
  return rows;
}

const std::map<std::string, Documented> documented = {
    {"invoke",
     {{"static_call_median", "virtual_call_median", "eval_apply_median", "eval_apply_p99",
       "dispatcher_apply_median", "runner_apply_median", "empty_apply_median", "guarded_call_median",
       "vfork_exec_median", "vfork_exec_p99", "posix_spawn_median", "posix_spawn_p99"},
      {"eval_apply_over_virtual_call", "vfork_exec_over_eval_apply", "posix_spawn_over_eval_apply"},
      {"invoke_median", "invoke_over_virtual_call", "vfork_exec_over_invoke"},
      {"rr"}}},
    {"compile",
     {{"compile_add", "load_add", "compile_fib", "load_fib", "compile_curry", "load_curry", "compile_map",
       "load_map", "compile_wordcount", "load_wordcount", "compile_select", "load_select", "compile_forward",
       "load_forward", "wasm2c_large", "compile_large", "load_large", "load_max"},
      {"load_over_compile", "wasm2c_share_large"},
      {"cached_load"},
      {}}},
    {"eval",
     {{"force_memo_hit_median", "force_memo_hit_p99", "relations_get_median", "relations_get_p99",
       "map_find_median", "map_find_p99", "eval_tree_1t", "eval_tree_all_cores", "eval_tree_per_core",
       "loop_1t", "fib_new_thunks_per_core", "fib_memo_hit_median", "fib_memo_hit_p99"},
      {"force_memo_hit_over_map_find", "eval_tree_1t_over_loop", "loop_over_eval_tree_1t",
       "eval_tree_scaling", "fib_memo_hit_over_map_find"},
      {"memo_hit_median"},
      {}}},
    {"flatware",
     {{"flatware_add_median", "flatware_add_p99", "native_add_vfork_exec_median", "native_add_posix_spawn_median",
       "flatware_sort_median", "native_sort_median"},
      {"vfork_exec_over_flatware_add", "posix_spawn_over_flatware_add", "sort_speed_vs_native"},
      {"add_vs_vfork_exec", "sort_speed"},
      {"third_party_compile"}}},  // never with --quick
    {"rpc", {rpc_rows(), {"fixnet_median_over_raw_tcp", "fixnet_median_over_fixnet_raw", "grpc_median_over_raw_tcp", "grpc_median_over_fixnet",
                          "grpc_nginx_median_over_raw_tcp", "grpc_nginx_median_over_fixnet",
                          "fixnet_rate_per_core_over_grpc"},
             {"median_vs_raw_tcp", "median_vs_grpc", "median_vs_grpc_sidecars", "rate_per_core_vs_grpc"},
             {}}},
    {"rpc-policy",
     {{"fixnet_none_rate", "fixnet_null_rate", "fixnet_ratelimit_inf_rate", "fixnet_acl_rate", "grpc_nginx_none_rate",
       "grpc_nginx_ratelimit_inf_rate"},
      {"fixnet_null_over_none", "fixnet_ratelimit_inf_over_none", "fixnet_acl_over_none",
       "grpc_nginx_ratelimit_inf_over_none", "fixnet_none_over_grpc_nginx_none"},
      {"ratelimit_inf_loss_at_most_3pct", "acl_loss_at_most_8pct"},
      {"grpc_nginx_acl"}}},
    {"hotel",
     {{"fixnet_mean", "fixnet_p50", "fixnet_p99", "fixnet_cpu_per_request", "grpc_mean", "grpc_p50", "grpc_p99",
       "grpc_cpu_per_request", "grpc_nginx_mean", "grpc_nginx_p50", "grpc_nginx_p99", "grpc_nginx_cpu_per_request"},
      {"grpc_nginx_mean_over_fixnet", "grpc_mean_over_fixnet", "grpc_nginx_p99_over_fixnet"},
      {"mean_vs_grpc_sidecars"},
      {}}},
};

class BenchCommand : public ::testing::TestWithParam<std::string> {};

TEST_P(BenchCommand, QuickJsonHasEveryDocumentedKeyWithPositiveFigures) {
  TempDir dir;
  RunResult r = run_fixnet(dir.path(), {"bench", GetParam(), "--quick", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);  // exactly one JSON value on stdout
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("bench"), GetParam());
  EXPECT_EQ(j.at("options").at("quick"), true);
  const Documented& keys = documented.at(GetParam());

  std::map<std::string, nlohmann::json> rows;
  for (const auto& row : j.at("rows")) rows[row.at("name").get<std::string>()] = row;
  for (const std::string& name : keys.rows) {
    ASSERT_TRUE(rows.count(name)) << "no row " << name;
    const nlohmann::json& row = rows.at(name);
    EXPECT_TRUE(row.at("value").is_number()) << row.dump();
    EXPECT_GT(row.at("value").get<double>(), 0) << row.dump();
    EXPECT_TRUE(row.at("unit").is_string()) << row.dump();
    if (row.contains("baseline")) {
      EXPECT_TRUE(rows.count(row.at("baseline").get<std::string>())) << row.dump();
      EXPECT_GT(row.at("ratio").get<double>(), 0) << row.dump();
    }
  }
  for (const std::string& name : keys.ratios) {
    ASSERT_TRUE(j.at("ratios").contains(name)) << "no ratio " << name;
    EXPECT_GT(j.at("ratios").at(name).get<double>(), 0) << name;
  }
  for (const std::string& name : keys.targets) {
    ASSERT_TRUE(j.at("targets").contains(name)) << "no target " << name;
    const nlohmann::json& t = j.at("targets").at(name);
    EXPECT_TRUE(t.contains("max") != t.contains("min")) << t.dump();
    EXPECT_GT(t.at("value").get<double>(), 0) << t.dump();
    EXPECT_TRUE(t.at("met").is_boolean()) << t.dump();
  }
  for (const std::string& name : keys.not_measured)
    EXPECT_TRUE(j.at("not_measured").at(name).is_string()) << name;
  EXPECT_EQ(j.at("not_measured").size(), keys.not_measured.size()) << "an undocumented unmeasured row";
}

INSTANTIATE_TEST_SUITE_P(Fixnet, BenchCommand,
                         ::testing::Values("invoke", "compile", "eval", "flatware", "rpc", "rpc-policy", "hotel"),
                         [](const auto& info) { std::string name = info.param; std::replace(name.begin(), name.end(), '-', '_'); return name; });

// rpc-upgrade's figures include zeros (failed calls, a timeline without dips), so it has its own test:
// the keys, every edit done (the TCP transport's upgrade too: its calls in flight move), no failed call.
TEST(BenchCommandRpcUpgrade, EditsUnderLoadFailNoCall) {
  TempDir dir;
  RunResult r = run_fixnet(dir.path(), {"bench", "rpc-upgrade", "--quick", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  std::map<std::string, double> rows;
  for (const auto& row : j.at("rows")) rows[row.at("name").get<std::string>()] = row.at("value").get<double>();
  for (const char* name : {"quiet_rate", "edited_rate", "quiet_longest_dip", "edited_longest_dip", "edited_failed_calls",
                           "attach_ratelimit_ms", "config_ratelimit_ms", "detach_ratelimit_ms", "upgrade_marshal_ms",
                           "upgrade_tcp_client_ms"})
    EXPECT_TRUE(rows.count(name)) << "no row " << name;
  EXPECT_GT(rows["edited_rate"], 0);
  EXPECT_EQ(rows["edited_failed_calls"], 0) << "a live edit failed a call";
  for (const auto& [edit, outcome] : j.at("inputs").at("edits").items()) {
    const std::string text = outcome.get<std::string>();
    EXPECT_EQ(text, "done") << edit;
  }
  EXPECT_TRUE(j.at("targets").contains("zero_failed_calls"));
  EXPECT_TRUE(j.at("targets").contains("longest_dip_at_most_10ms"));
}

TEST(BenchCommandTable, SaysWhyTheRrRowIsNotMeasured) {
  TempDir dir;
  RunResult r = run_fixnet(dir.path(), {"bench", "invoke", "--quick"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("not measured: rr does not run on this CPU"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("eval_apply_median"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace fixnet::cli::testing
