// fixnet why NAME: the recorded computations that produced an object, step by step.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/lib/provenance.h"

namespace fixnet::cli {
namespace {

struct Options {
  std::string input;
  int depth = 16;
  bool json = false;
};

int run(Session& session, const Options& o) {
  Repository& repo = session.repo();
  Name name = resolve_input(repo, o.input);
  ProvenanceIndex index(repo);
  ProvenanceNode node = explain(repo, repo, index, name, o.depth);
  if (o.json)
    print_json(provenance_json(repo, node));
  else
    fmt::print("{}", provenance_text(repo, node));
  return 0;
}

CommandSetup setup(CLI::App& parent) {
  CLI::App* app = add_command(
      parent, "why",
      "Explain how an object came to be: the computation whose result it is, that computation's "
      "inputs, and how each of those was computed in turn.",
      "  fixnet why @total\n  fixnet why --json 3f2a9c0d");
  auto o = std::make_shared<Options>();
  app->add_option("NAME", o->input, "A Name, a unique prefix of one, or a label (@LABEL)")
      ->required();
  app->add_option("--depth", o->depth, "Steps of the chain to follow")->capture_default_str();
  app->add_flag("--json", o->json, "Print the tree of relations as JSON");
  return {app, [o](Session& s) { return run(s, *o); }};
}

}  // namespace
FIXNET_COMMAND(80, setup);
}  // namespace fixnet::cli
