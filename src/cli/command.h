// The command registry of `fixnet`: each command lives in its own cmd_*.cc and registers itself
// with FIXNET_COMMAND; main() builds the CLI11 application from the registry, parses, and runs the
// chosen command's action with a Session.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/name.h"
#include "core/repository.h"

namespace fixnet::cli {

// What a command works with: the repository of the current directory, opened on first use.
class Session {
 public:
  Session() = default;
  ~Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Locates (from the current directory, or $FIXNET_DIR) and opens the repository.
  Repository& repo();

  // After success: flush and close, reporting a failure as an exception.
  void close();
  // After an error was reported: flush what can be flushed, quietly — the user gets one line, the
  // one about the error — and let the repository go without its destructor reporting again.
  void abandon() noexcept;

  // The exit code when the command fails with an error: 1, unless the command says otherwise
  // (`fixnet run` passes its program's codes through, so its own failures are 125).
  int failure_code() const { return failure_code_; }
  void set_failure_code(int code) { failure_code_ = code; }

 private:
  std::unique_ptr<Repository> repo_;
  int failure_code_ = 1;
};

// A command's action: returns the exit code. Errors are thrown (fixnet::Error) and reported by
// main.
using Action = std::function<int(Session&)>;

struct CommandSetup {
  CLI::App* app;
  Action action;
};

// Adds the command's subcommand to `parent` and returns it with its action.
using CommandFactory = CommandSetup (*)(CLI::App& parent);

struct CommandEntry {
  int order;  // position in `fixnet --help`
  CommandFactory factory;
};
std::vector<CommandEntry>& command_registry();

struct CommandRegistration {
  CommandRegistration(int order, CommandFactory factory) {
    command_registry().push_back({order, factory});
  }
};

#define FIXNET_COMMAND(order, factory)                                                  \
  static const ::fixnet::cli::CommandRegistration fixnet_command_registration_##order { \
    order, factory                                                                      \
  }

// Adds a subcommand with a one-line description and a worked example shown by --help.
CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& description,
                      const std::string& examples);

// --engine auto|native|interp, of the commands that run Wasm procedures (eval, run): what runs them
// (wasm/wasm_runner.h, docs/wasm.md "Engines"). `engine` gets the name given, "auto" if none;
// wasm::engine_named() turns it into the Engine (the option admits no other name).
CLI::Option* add_engine_option(CLI::App* app, std::string& engine);

// A Name from the command line: `@LABEL`, a label, 64 hex digits, or a unique hex prefix.
Name resolve_input(Repository& repo, std::string_view text);

// Requires that the repository holds `name` (a literal needs nothing); throws NotFoundError naming
// the input otherwise.
void require_held(Repository& repo, Name name, std::string_view input);

// Rethrows the exception being handled with "context: " in front of its message (same error
// family), unless the message already names `input` (the user's text the context is about), so
// every message names the input exactly once. Call from a catch block only.
[[noreturn]] void rethrow_with_context(std::string_view context, std::string_view input);

// Writes JSON to stdout, one document, newline-terminated.
void print_json(const nlohmann::json& j);

}  // namespace fixnet::cli
