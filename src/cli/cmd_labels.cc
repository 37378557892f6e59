// fixnet labels: every label and the Name it stands for.
#include <fmt/format.h>

#include "cli/command.h"

namespace fixnet::cli {
namespace {

int run(Session& session, bool json) {
  auto labels = session.repo().labels();
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [label, name] : labels)
      list.push_back(
          {{"label", label}, {"name", name.hex()}, {"kind", std::string(kind_name(name.kind()))}});
    print_json(list);
  } else {
    for (const auto& [label, name] : labels) fmt::print("{} {}\n", name.hex(), label);
  }
  return 0;
}

CommandSetup setup(CLI::App& parent) {
  CLI::App* app =
      add_command(parent, "labels", "List the labels, one `NAME LABEL` per line, sorted by label.",
                  "  fixnet labels\n  fixnet labels --json");
  auto json = std::make_shared<bool>(false);
  app->add_flag("--json", *json, "Print a JSON array of {label, name, kind}");
  return {app, [json](Session& s) { return run(s, *json); }};
}

}  // namespace
FIXNET_COMMAND(60, setup);
}  // namespace fixnet::cli
