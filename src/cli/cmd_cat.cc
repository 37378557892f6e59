// fixnet cat NAME: the raw bytes of a Blob.
#include <fmt/format.h>

#include <cstdio>

#include "cli/command.h"
#include "cli/lib/text.h"

namespace fixnet::cli {
namespace {

int run(Session& session, const std::string& input) {
  Repository& repo = session.repo();
  Name name = resolve_input(repo, input);
  if (name.is_tree())
    throw InputError(fmt::format("{} is a Tree of {} entries, not a Blob: use `fixnet show {}`",
                                 one_line(input), name.size(), one_line(input)));
  if (!name.is_value())
    throw InputError(
        fmt::format("{} is {} {} (a computation, not bytes): use `fixnet eval {}` to "
                    "compute it",
                    one_line(input), name.is_encode() ? "an encoded" : "an",
                    kind_name(name.thunk().kind()), one_line(input)));
  require_held(repo, name.unref(), input);
  BlobData bytes;
  try {
    bytes = repo.get_blob(name.unref());
  } catch (const Error&) {
    rethrow_with_context(fmt::format("cat {}", one_line(input)), input);
  }
  if (std::fwrite(bytes->data(), 1, bytes->size(), stdout) != bytes->size())
    throw EnvironmentError("cat: cannot write to stdout");
  return 0;
}

CommandSetup setup(CLI::App& parent) {
  CLI::App* app = add_command(parent, "cat", "Write the raw bytes of a Blob to stdout.",
                              "  fixnet cat @notes > notes.txt\n  fixnet cat 3f2a9c0d");
  auto input = std::make_shared<std::string>();
  app->add_option("NAME", *input, "A Name, a unique prefix of one, or a label (@LABEL)")
      ->required();
  return {app, [input](Session& s) { return run(s, *input); }};
}

}  // namespace
FIXNET_COMMAND(30, setup);
}  // namespace fixnet::cli
