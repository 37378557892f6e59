// fixnet init [DIR]: create a repository.
#include <fmt/format.h>

#include <filesystem>

#include "cli/command.h"

namespace fixnet::cli {
namespace {

CommandSetup setup(CLI::App& parent) {
  CLI::App* app = add_command(parent, "init",
                              "Create a repository (.fixnet/) in DIR, by default the current "
                              "directory; an existing one is left as it is.",
                              "  fixnet init\n  fixnet init ~/project");
  auto dir = std::make_shared<std::string>(".");
  app->add_option("DIR", *dir, "Directory to hold .fixnet/ (created if missing)");
  return {app, [dir](Session&) {
            const std::filesystem::path where = std::filesystem::absolute(*dir).lexically_normal();
            const bool existed = std::filesystem::exists(where / ".fixnet");
            auto repo = Repository::init(where);
            const std::string path = repo->path().string();
            repo.reset();
            fmt::print("{} fixnet repository in {}\n", existed ? "Existing" : "Initialized empty",
                       path);
            return 0;
          }};
}

}  // namespace
FIXNET_COMMAND(10, setup);
}  // namespace fixnet::cli
