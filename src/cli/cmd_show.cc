// fixnet show NAME: a human-readable view of an object and the Trees below it.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/lib/render.h"
#include "cli/lib/text.h"

namespace fixnet::cli {
namespace {

struct Options {
  std::string input;
  RenderOptions render;
  bool json = false;
};

int run(Session& session, const Options& o) {
  Repository& repo = session.repo();
  Name name = resolve_input(repo, o.input);
  require_held(repo, name.unref().content_name(), o.input);
  try {
    // The object asked for must be readable; damage further down is shown in place instead.
    if (name.content() == Content::Blob)
      repo.get_blob(name.unref());
    else
      repo.get_tree(name.unref());
    if (o.json)
      print_json(render_json(repo, name, o.render));
    else
      fmt::print("{}", render_text(repo, name, o.render));
  } catch (const Error&) {
    rethrow_with_context(fmt::format("show {}", one_line(o.input)), o.input);
  }
  return 0;
}

CommandSetup setup(CLI::App& parent) {
  CLI::App* app = add_command(
      parent, "show",
      "Show an object: its kind, size and Name; a Blob's bytes (quoted when text, else hex); a "
      "Tree's entries, nested Trees indented.",
      "  fixnet show @src\n  fixnet show --depth 1 --json 3f2a9c0d");
  auto o = std::make_shared<Options>();
  app->add_option("NAME", o->input, "A Name, a unique prefix of one, or a label (@LABEL)")
      ->required();
  app->add_option("--depth", o->render.depth, "Levels of nested Trees to show")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app->add_option("--entries", o->render.max_entries, "Entries to show per Tree")
      ->capture_default_str();
  app->add_option("--bytes", o->render.max_blob_bytes, "Bytes to show per Blob")
      ->capture_default_str();
  app->add_flag("--json", o->json, "Print the structure as JSON");
  return {app, [o](Session& s) { return run(s, *o); }};
}

}  // namespace
FIXNET_COMMAND(40, setup);
}  // namespace fixnet::cli
