#include "cli/command.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

// LeakSanitizer builds (FIXNET_SANITIZE) must not report the one deliberate leak below.
#if defined(__SANITIZE_ADDRESS__)
#define FIXNET_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIXNET_LSAN 1
#endif
#endif
#if FIXNET_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#include "cli/lib/render.h"
#include "cli/lib/text.h"
#include "core/error.h"

namespace fixnet::cli {

Repository& Session::repo() {
  if (!repo_) repo_ = Repository::open(Repository::locate(std::filesystem::current_path()));
  return *repo_;
}

void Session::close() {
  if (!repo_) return;
  repo_->flush();
  repo_.reset();
}

void Session::abandon() noexcept {
  if (!repo_) return;
  try {
    repo_->flush();
    repo_.reset();  // nothing left to flush: the destructor has nothing to report
    return;
  } catch (...) {
    // Already reported: the error that brought us here is most likely the same.
  }
  // The relations could not be saved and the destructor would say so again, as a second message
  // about the same failure. The process exits next: let the repository go without it.
  Repository* leaked = repo_.release();
#if FIXNET_LSAN
  __lsan_ignore_object(leaked);
#else
  (void)leaked;
#endif
}

std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> registry;
  return registry;
}

CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& description,
                      const std::string& examples) {
  CLI::App* app = parent.add_subcommand(name, description);
  app->footer("Examples:\n" + examples);
  return app;
}

CLI::Option* add_engine_option(CLI::App* app, std::string& engine) {
  return app
      ->add_option("--engine", engine,
                   "What runs Wasm procedures: native (compiled code), interp (wabt's interpreter) or auto "
                   "(the interpreter while a module compiles, then native; a failed compile is reported)")
      ->check(CLI::IsMember({"auto", "native", "interp"}))
      ->capture_default_str();
}

Name resolve_input(Repository& repo, std::string_view text) {
  if (text.starts_with('@')) {
    const std::string label(text.substr(1));
    if (auto name = repo.label(label)) return *name;
    throw InputError(fmt::format("no label '{}' (see `fixnet labels`)", one_line(label)));
  }
  return repo.resolve(text);
}

void require_held(Repository& repo, Name name, std::string_view input) {
  if (name.is_literal() || repo.contains(name)) return;
  const std::string hex = name.hex();
  throw NotFoundError(fmt::format("{}: the repository {} does not hold object {}", one_line(input),
                                  repo.path().string(),
                                  input == hex ? std::string("by that Name") : hex));
}

[[noreturn]] void rethrow_with_context(std::string_view context, std::string_view input) {
  auto message = [&](const std::exception& e) {
    std::string_view what = e.what();
    if (!input.empty() && what.find(input) != std::string_view::npos) return std::string(what);
    return fmt::format("{}: {}", context, what);
  };
  try {
    throw;
  } catch (const NotFoundError& e) {
    throw NotFoundError(message(e));
  } catch (const EnvironmentError& e) {
    throw EnvironmentError(message(e));
  } catch (const InputError& e) {
    throw InputError(message(e));
  } catch (const ProcedureError& e) {
    throw ProcedureError(message(e));
  } catch (const Error& e) {
    throw Error(message(e));
  }
}

void print_json(const nlohmann::json& j) { fmt::print("{}\n", dump_json(j)); }

}  // namespace fixnet::cli
