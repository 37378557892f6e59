// fixnet: the command line. Parse → call a library → print. Every failure ends as one line on
// stderr, "fixnet: <what went wrong with which input>", and a non-zero exit: 1 for errors, 2 for
// usage errors.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

#include "cli/command.h"
#include "cli/lib/text.h"
#include "core/error.h"
#include "core/name.h"

#ifndef FIXNET_VERSION
#define FIXNET_VERSION "unknown"
#endif

namespace {

using fixnet::cli::Action;
using fixnet::cli::Session;

void report(std::string_view message) {
  // One line, whatever the message holds: a stray newline must not split the report.
  std::string line(message);
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::fflush(stdout);
  std::fprintf(stderr, "fixnet: %s\n", line.c_str());
}

// The deepest subcommand the user named, for "see `fixnet eval --help`".
std::string command_path(const CLI::App& app) {
  std::string path = app.get_name();
  const CLI::App* at = &app;
  for (;;) {
    auto chosen = at->get_subcommands();
    if (chosen.empty()) return path;
    at = chosen.front();
    path += " " + at->get_name();
  }
}

int run(int argc, char** argv) {
  CLI::App app{
      "fixnet: computations as named values. Add files, build and evaluate "
      "computations, and ask any result how it was made.",
      "fixnet"};
  app.set_version_flag("--version", fmt::format("fixnet {} (Name layout {})", FIXNET_VERSION,
                                                fixnet::Name::kLayoutVersion));
  // Like git, -C may be repeated; each is relative to the one before.
  std::vector<std::string> directories;
  app.add_option("-C", directories, "Run as if fixnet was started in DIR")
      ->type_name("DIR")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  fixnet init\n"
      "  fixnet add notes.txt\n"
      "  fixnet eval 'app:[limits, native:concat, \"hello, \", \"world\"]' --show\n"
      "  fixnet why <name>\n"
      "Run `fixnet COMMAND --help` for a command's options. The repository is .fixnet/ in the\n"
      "current directory or above, or $FIXNET_DIR.");

  auto& registry = fixnet::cli::command_registry();
  std::sort(registry.begin(), registry.end(),
            [](const auto& a, const auto& b) { return a.order < b.order; });
  std::vector<fixnet::cli::CommandSetup> commands;
  for (const auto& entry : registry) commands.push_back(entry.factory(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version: print and succeed
    report(fmt::format("{} (see `{} --help`)", e.what(), command_path(app)));
    return 2;
  }

  Session session;
  try {
    for (const std::string& directory : directories)
      if (::chdir(directory.c_str()) != 0)
        throw fixnet::InputError(fmt::format("-C {}: cannot change to that directory: {}",
                                             fixnet::cli::one_line(directory),
                                             std::strerror(errno)));
    for (const auto& command : commands) {
      if (!command.app->parsed()) continue;
      const int rc = command.action(session);
      session.close();
      if (std::fflush(stdout) != 0 || std::ferror(stdout))
        throw fixnet::EnvironmentError(
            fmt::format("cannot write the output: {}", std::strerror(errno)));
      return rc;
    }
    return 0;
  } catch (const std::bad_alloc&) {
    session.abandon();
    report("out of memory");
  } catch (const std::exception& e) {
    session.abandon();
    report(e.what());
  }
  return session.failure_code();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // Building the command line itself failed: still one line, still no abort.
    report(e.what());
  } catch (...) {
    report("unexpected error");
  }
  return 1;
}
