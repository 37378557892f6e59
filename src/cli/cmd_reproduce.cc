// fixnet reproduce NAME: re-run the computation that produced NAME, ignoring the memo, and compare.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/lib/provenance.h"
#include "cli/lib/runtime.h"

namespace fixnet::cli {
namespace {

int run(Session& session, const std::string& input, bool json) {
  Repository& repo = session.repo();
  Name name = resolve_input(repo, input);
  ProvenanceIndex index(repo);
  Runtime runtime(repo.cache_dir());
  Reproduction r = reproduce(repo, repo, index, name, runtime.runner(), runtime.pool());
  if (json) {
    print_json({{"name", r.recorded.hex()},
                {"relation", std::string(relation_name(r.producer.relation))},
                {"key", r.producer.key.hex()},
                {"recorded", r.recorded.hex()},
                {"rerun", r.rerun.hex()},
                {"same", r.same()}});
  } else if (r.same()) {
    fmt::print("reproduced: {} (same bytes)\n", r.recorded.hex());
  } else {
    fmt::print("MISMATCH: recorded {}, re-run gave {}\n", r.recorded.hex(), r.rerun.hex());
  }
  if (!r.same()) {
    std::fflush(stdout);
    throw Error(fmt::format("{}: re-running {} {} did not reproduce it", input,
                            kind_name(r.producer.key.kind()), r.producer.key.short_hex()));
  }
  return 0;
}

CommandSetup setup(CLI::App& parent) {
  CLI::App* app = add_command(
      parent, "reproduce",
      "Re-run the recorded computation that produced an object, without reading the memo, and "
      "check it gives the same bytes (exit 0) or not (exit 1).",
      "  fixnet reproduce @total\n  fixnet reproduce --json 3f2a9c0d");
  auto input = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  app->add_option("NAME", *input, "A Name, a unique prefix of one, or a label (@LABEL)")
      ->required();
  app->add_flag("--json", *json, "Print {name, relation, key, recorded, rerun, same} as JSON");
  return {app, [input, json](Session& s) { return run(s, *input, *json); }};
}

}  // namespace
FIXNET_COMMAND(90, setup);
}  // namespace fixnet::cli
