// fixnet checkout NAME DIR: a directory Tree back to files (the inverse of `fixnet add DIR`), e.g. the
// filesystem a `fixnet run` left behind.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/lib/checkout.h"
#include "cli/lib/text.h"

namespace fixnet::cli {
namespace {

struct Options {
  std::string input;
  std::string dir;
  bool json = false;
};

int run(Session& session, const Options& o) {
  Repository& repo = session.repo();
  const Name name = resolve_input(repo, o.input);
  if (!name.is_tree() || !name.is_value())
    throw InputError(fmt::format("{} is not a directory Tree (see docs/cli.md, \"Directory trees\"); "
                                 "`fixnet show {}` shows what it is",
                                 one_line(o.input), one_line(o.input)));
  require_held(repo, name, o.input);
  CheckoutResult r;
  try {
    r = write_changes(repo, Name(), name, o.dir);
  } catch (const Error&) {
    rethrow_with_context(fmt::format("checkout {}", one_line(o.input)), o.input);
  }
  if (o.json)
    print_json({{"files", r.files}, {"directories", r.directories}, {"links", r.links}, {"bytes", r.bytes}});
  else
    fmt::print("{} files, {} directories, {} links ({}) in {}\n", r.files, r.directories, r.links,
               human_bytes(r.bytes), o.dir);
  return 0;
}

CommandSetup setup(CLI::App& parent) {
  CLI::App* app = add_command(
      parent, "checkout",
      "Write a directory Tree as files under DIR (created if missing): the inverse of `fixnet add DIR`. "
      "Files already in DIR with other names stay; an existing symbolic link on the way is an error.",
      "  fixnet checkout @src ./src-copy\n  fixnet checkout \"$(fixnet run --json p.wasm | jq -r .filesystem)\" out");
  auto o = std::make_shared<Options>();
  app->add_option("NAME", o->input, "A directory Tree: Name, unique prefix, or label")->required();
  app->add_option("DIR", o->dir, "Where to write it")->required();
  app->add_flag("--json", o->json, "Print {files, directories, links, bytes}");
  return {app, [o](Session& s) { return run(s, *o); }};
}

}  // namespace
FIXNET_COMMAND(35, setup);
}  // namespace fixnet::cli
