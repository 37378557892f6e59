// fixnet add PATH…: store files (Blobs) and directories (Trees) and print their Names.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/lib/directory_tree.h"
#include "cli/lib/progress.h"
#include "cli/lib/text.h"

namespace fixnet::cli {
namespace {

struct Options {
  std::vector<std::string> paths;
  std::string label;
  bool json = false;
};

int run(Session& session, const Options& o) {
  if (!o.label.empty() && o.paths.size() != 1)
    throw InputError(
        fmt::format("--label {} needs exactly one PATH, got {}", o.label, o.paths.size()));
  Repository& repo = session.repo();
  Progress progress("adding", Progress::Unit::Bytes);
  uint64_t total = 0;
  if (progress.enabled())
    for (const auto& path : o.paths) total += measure_path(path);
  uint64_t before = 0;
  auto report = [&](uint64_t done, uint64_t) { progress.update(before + done, total); };

  nlohmann::json results = nlohmann::json::array();
  std::vector<Name> names;
  for (const auto& path : o.paths) {
    AddResult r;
    try {
      r = add_path(repo, path, report, total);
    } catch (const Error&) {
      rethrow_with_context(fmt::format("add {}", one_line(path, 200)), path);
    }
    before += r.bytes;
    names.push_back(r.name);
    results.push_back({{"path", path},
                       {"name", r.name.hex()},
                       {"kind", std::string(kind_name(r.name.kind()))},
                       {"files", r.files},
                       {"directories", r.directories},
                       {"bytes", r.bytes}});
  }
  if (!o.label.empty()) repo.set_label(o.label, names.front());
  repo.flush();
  progress.finish();
  if (o.json) {
    print_json(results);
  } else {
    for (Name n : names) fmt::print("{}\n", n.hex());
  }
  return 0;
}

CommandSetup setup(CLI::App& parent) {
  CLI::App* app = add_command(
      parent, "add",
      "Store files and directories in the repository and print the Name of each (a file becomes "
      "a Blob, a directory a Tree: see docs/cli.md, \"Directory trees\").",
      "  fixnet add notes.txt\n  fixnet add --label src src/");
  auto o = std::make_shared<Options>();
  app->add_option("PATH", o->paths, "Files or directories to add")->required();
  app->add_option("--label", o->label, "Label the result (one PATH only)")->type_name("LABEL");
  app->add_flag("--json", o->json, "Print a JSON array of {path, name, kind, files, bytes}");
  return {app, [o](Session& s) { return run(s, *o); }};
}

}  // namespace
FIXNET_COMMAND(20, setup);
}  // namespace fixnet::cli
