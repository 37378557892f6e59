// fixnet gc [-n]: remove what no label reaches.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/lib/progress.h"
#include "cli/lib/text.h"

namespace fixnet::cli {
namespace {

int run(Session& session, bool dry_run, bool json) {
  Repository& repo = session.repo();
  Progress progress(dry_run ? "gc (dry run)" : "gc");
  GcReport r =
      repo.gc(dry_run, [&](uint64_t done, uint64_t total) { progress.update(done, total); });
  progress.finish();
  if (json) {
    nlohmann::json removed = nlohmann::json::array();
    for (Name n : r.objects_removed) removed.push_back(n.hex());
    print_json({{"dry_run", dry_run},
                {"objects_removed", removed},
                {"objects_kept", r.objects_kept},
                {"bytes_removed", r.bytes_removed},
                {"relations_removed", r.relations_removed},
                {"relations_kept", r.relations_kept}});
    return 0;
  }
  if (dry_run)
    for (Name n : r.objects_removed) fmt::print("would remove {}\n", n.hex());
  fmt::print("{} {} object{} ({}), kept {}; {} {} relation{}, kept {}\n",
             dry_run ? "would remove" : "removed", r.objects_removed.size(),
             r.objects_removed.size() == 1 ? "" : "s", human_bytes(r.bytes_removed), r.objects_kept,
             dry_run ? "would remove" : "removed", r.relations_removed,
             r.relations_removed == 1 ? "" : "s", r.relations_kept);
  return 0;
}

CommandSetup setup(CLI::App& parent) {
  CLI::App* app = add_command(
      parent, "gc",
      "Remove objects and relations no label reaches (label what you want to keep first; -n "
      "shows what would go).",
      "  fixnet gc -n\n  fixnet gc");
  auto dry_run = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  app->add_flag("-n,--dry-run", *dry_run, "List what would be removed; remove nothing");
  app->add_flag("--json", *json, "Print the counts (and removed Names) as JSON");
  return {app, [dry_run, json](Session& s) { return run(s, *dry_run, *json); }};
}

}  // namespace
FIXNET_COMMAND(100, setup);
}  // namespace fixnet::cli
