// fixnet fsck: check every object, relation and label of the repository.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/lib/progress.h"

namespace fixnet::cli {
namespace {

int run(Session& session, bool json) {
  Repository& repo = session.repo();
  Progress progress("fsck");
  FsckReport r = repo.fsck([&](uint64_t done, uint64_t total) { progress.update(done, total); });
  progress.finish();
  if (json) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& p : r.problems) problems.push_back({{"path", p.path}, {"problem", p.problem}});
    print_json({{"ok", r.ok()},
                {"objects_checked", r.objects_checked},
                {"relations_checked", r.relations_checked},
                {"labels_checked", r.labels_checked},
                {"problems", problems}});
  } else {
    for (const auto& p : r.problems) fmt::print("{}: {}\n", p.path, p.problem);
    fmt::print(
        "checked {} objects, {} relations, {} labels: {}\n", r.objects_checked, r.relations_checked,
        r.labels_checked,
        r.ok() ? std::string("no problems")
               : fmt::format("{} problem{}", r.problems.size(), r.problems.size() == 1 ? "" : "s"));
  }
  if (!r.ok()) {
    std::fflush(stdout);
    throw Error(fmt::format("fsck found {} problem{} in {}", r.problems.size(),
                            r.problems.size() == 1 ? "" : "s", repo.path().string()));
  }
  return 0;
}

CommandSetup setup(CLI::App& parent) {
  CLI::App* app = add_command(
      parent, "fsck",
      "Check the repository: every object against its Name, every relation and label against "
      "the objects; print each problem as `PATH: PROBLEM` and exit 1 if there is any.",
      "  fixnet fsck\n  fixnet fsck --json");
  auto json = std::make_shared<bool>(false);
  app->add_flag("--json", *json, "Print {ok, counts, problems: [{path, problem}]} as JSON");
  return {app, [json](Session& s) { return run(s, *json); }};
}

}  // namespace
FIXNET_COMMAND(110, setup);
}  // namespace fixnet::cli
