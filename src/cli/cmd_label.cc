// fixnet label NAME LABEL / fixnet label -d LABEL: give a Name a human name, or take it away.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/lib/text.h"

namespace fixnet::cli {
namespace {

struct Options {
  std::vector<std::string> args;
  bool remove = false;
  bool json = false;
};

int run(Session& session, const Options& o) {
  Repository& repo = session.repo();
  if (o.remove) {
    if (o.args.size() != 1)
      throw InputError(fmt::format("label -d takes one LABEL, got {} arguments", o.args.size()));
    const std::string& label = o.args[0];
    if (!repo.remove_label(label))
      throw InputError(
          fmt::format("no label '{}' to remove (see `fixnet labels`)", one_line(label)));
    if (o.json)
      print_json({{"label", label}, {"removed", true}});
    else
      fmt::print("removed label {}\n", label);
    return 0;
  }
  if (o.args.size() != 2)
    throw InputError(fmt::format("label takes NAME LABEL (or -d LABEL), got {} argument{}",
                                 o.args.size(), o.args.size() == 1 ? "" : "s"));
  const std::string& input = o.args[0];
  const std::string& label = o.args[1];
  Name name = resolve_input(repo, input);
  // A label is a root for gc; one that points at nothing would only confuse fsck and the user.
  require_held(repo, name.unref().content_name(), input);
  try {
    repo.set_label(label, name);
  } catch (const Error&) {
    rethrow_with_context(fmt::format("label {}", one_line(label)), label);
  }
  repo.flush();
  if (o.json)
    print_json({{"label", label}, {"name", name.hex()}});
  else
    fmt::print("{} {}\n", name.hex(), label);
  return 0;
}

CommandSetup setup(CLI::App& parent) {
  CLI::App* app = add_command(
      parent, "label",
      "Give a Name a label (a human name, [A-Za-z0-9._-]+, that also keeps it from gc), or remove "
      "one with -d.",
      "  fixnet label 3f2a9c0d notes\n  fixnet label -d notes");
  auto o = std::make_shared<Options>();
  app->add_option("ARGS", o->args, "NAME LABEL, or LABEL with -d")->required();
  app->add_flag("-d,--delete", o->remove, "Remove LABEL");
  app->add_flag("--json", o->json, "Print {label, name} (or {label, removed}) as JSON");
  return {app, [o](Session& s) { return run(s, *o); }};
}

}  // namespace
FIXNET_COMMAND(50, setup);
}  // namespace fixnet::cli
