// fixnet run PROGRAM.wasm: a WASI program as a Fix computation (docs/flatware.md). Builds the input
// Tree from the command line, evaluates the Flatware Application (memoized), streams the program's
// stdout and stderr, writes the files it changed to --out, and exits with the program's exit code.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <optional>

#include "cli/command.h"
#include "cli/lib/checkout.h"
#include "cli/lib/directory_tree.h"
#include "cli/lib/runtime.h"
#include "cli/lib/text.h"
#include "core/error_value.h"
#include "core/evaluator.h"
#include "core/relation.h"
#include "flatware/flatware_runner.h"
#include "flatware/program_input.h"

namespace fixnet::cli {
namespace {

// Our own failures, apart from whatever the program exits with (as env(1) and timeout(1) do).
constexpr int kRunFailure = 125;

struct Options {
  std::string program;
  std::vector<std::string> args;
  std::vector<std::string> dirs;
  std::vector<std::string> env;
  std::string stdin_file;
  std::string out;
  std::string argv0;
  std::string label;
  uint64_t seed = 0;
  std::string time = "0";
  std::string engine = "auto";
  uint64_t memory = 0;
  uint64_t fuel = 0;
  bool json = false;
};

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the terminal went away: the result is still stored
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

std::string read_stream(FILE* in, const std::string& what) {
  std::string bytes;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, in)) > 0) bytes.append(buffer, n);
  if (std::ferror(in)) throw InputError(fmt::format("--stdin {}: cannot read: {}", what, std::strerror(errno)));
  return bytes;
}

Name stdin_blob(Repository& repo, const std::string& file) {
  if (file.empty()) return repo.put_blob("");
  if (file == "-") return repo.put_blob(read_stream(stdin, "-"));
  FILE* in = std::fopen(file.c_str(), "rb");
  if (!in)
    throw InputError(fmt::format("--stdin {}: cannot open: {}", one_line(file, 200), std::strerror(errno)));
  std::string bytes;
  try {
    bytes = read_stream(in, file);
  } catch (...) {
    std::fclose(in);
    throw;
  }
  std::fclose(in);
  return repo.put_blob(bytes);
}

// --dir HOST[:GUEST] → the guest's `/` with each host directory placed at its guest path.
Name filesystem(Repository& repo, const std::vector<std::string>& dirs) {
  Name root = empty_directory(repo);
  for (const std::string& spec : dirs) {
    const size_t colon = spec.find(':');
    const std::string host = spec.substr(0, colon);
    const std::string guest = colon == std::string::npos ? "/" : spec.substr(colon + 1);
    if (!guest.starts_with('/'))
      throw InputError(fmt::format("--dir {}: the guest path must be absolute, like {}:/data", one_line(spec),
                                   one_line(host)));
    struct stat st;
    if (::stat(host.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      throw InputError(fmt::format("--dir {}: {} is not a directory", one_line(spec), one_line(host)));
    root = mount_tree(repo, root, guest, add_path(repo, host).name);
  }
  return root;
}

std::array<uint8_t, 32> seed_bytes(uint64_t seed) {
  std::array<uint8_t, 32> out{};
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(seed >> (8 * i));
  return out;
}

uint64_t start_time(const std::string& text) {
  if (text == "now") return static_cast<uint64_t>(::time(nullptr)) * 1000000000ull;
  try {
    size_t used = 0;
    const unsigned long long seconds = std::stoull(text, &used);
    if (used == text.size() && seconds < 18000000000ull) return seconds * 1000000000ull;
  } catch (const std::exception&) {
  }
  throw InputError(fmt::format("--time {}: give Unix seconds (e.g. 1700000000) or 'now'", one_line(text)));
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int run(Session& session, const Options& o) {
  session.set_failure_code(kRunFailure);
  Repository& repo = session.repo();
  struct stat st;
  Name program;
  if (::stat(o.program.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) throw InputError(fmt::format("{}: not a file", one_line(o.program, 200)));
    program = add_path(repo, o.program).name;
  } else {
    program = resolve_input(repo, o.program);  // a program already stored: a Name or @label
    require_held(repo, program, o.program);
  }

  flatware::ProgramInputSpec spec;
  spec.limits = Limits{o.memory, o.fuel};
  spec.program = program;
  spec.args.push_back(o.argv0.empty() ? base_name(o.program) : o.argv0);
  spec.args.insert(spec.args.end(), o.args.begin(), o.args.end());
  for (const std::string& e : o.env)
    if (e.find('=') == std::string::npos || e.starts_with('='))
      throw InputError(fmt::format("--env {}: write NAME=VALUE", one_line(e)));
  spec.env = o.env;
  spec.stdin_blob = stdin_blob(repo, o.stdin_file);
  spec.filesystem = filesystem(repo, o.dirs);
  spec.seed = seed_bytes(o.seed);
  spec.start_time_ns = start_time(o.time);
  const Name application = flatware::make_program_input(repo, spec).application();

  Runtime runtime(repo.cache_dir(), {.engine = *wasm::engine_named(o.engine)});
  // A run already done needs no program checks (and no compile): the memo answers. Otherwise the
  // program is compiled (once per machine) and must be a WASI program, which gets a clear word here
  // rather than an error value about its input.
  if (!repo.get(Relation::Think, application)) {
    if (!wasm::looks_like_wasm(program.is_literal() ? program.literal_bytes() : *repo.get_blob(program)))
      throw InputError(fmt::format("{}: not a WebAssembly module (no \\0asm header); build the program for "
                                   "wasm32-wasi, e.g. clang --target=wasm32-wasi",
                                   one_line(o.program, 200)));
    bool is_program = false;
    try {
      is_program = runtime.wasm().is_program(repo, program);
    } catch (const Error&) {
      rethrow_with_context(fmt::format("{}", one_line(o.program, 200)), o.program);
    }
    if (!is_program)
      throw InputError(fmt::format("{}: a fixnet procedure (it exports _fixnet_apply), not a WASI program: "
                                   "apply it with `fixnet eval 'app:[…]'` instead",
                                   one_line(o.program, 200)));
  }
  bool streamed = false;
  if (!o.json)
    runtime.flatware().set_output_observer([&](int fd, std::string_view bytes) {
      streamed = true;
      write_all(fd, bytes);
    });
  Evaluator evaluator(repo, repo, runtime.runner(), runtime.pool());
  Name result;
  try {
    result = evaluator.eval(application);
  } catch (const Error&) {
    try {
      repo.flush();
    } catch (const Error&) {
    }
    rethrow_with_context(fmt::format("running {}", one_line(o.program, 200)), o.program);
  }
  if (!o.label.empty()) repo.set_label(o.label, result);
  repo.flush();
  if (auto error = error_message(repo, result))
    throw ProcedureError(fmt::format("running {}: {} (`fixnet why {}` explains it)", one_line(o.program, 200),
                                     *error, result.short_hex()));

  const flatware::ProgramOutput output = flatware::parse_output_tree(repo, result);
  const EvaluatorStats& stats = evaluator.stats();
  const bool memo_hit = stats.applications.load() == 0 && stats.memo_hits.load() > 0;
  std::optional<CheckoutResult> written;
  if (!o.out.empty()) written = write_changes(repo, spec.filesystem, output.filesystem, o.out);

  if (o.json) {
    nlohmann::json files = nullptr;
    if (written)
      files = {{"directory", o.out}, {"files", written->files},  {"directories", written->directories},
               {"links", written->links}, {"bytes", written->bytes}, {"removed", written->removed}};
    print_json({{"result", result.hex()},
                {"exit_code", output.exit_code},
                {"stdout", output.stdout_blob.hex()},
                {"stdout_bytes", output.stdout_blob.size()},
                {"stderr", output.stderr_blob.hex()},
                {"stderr_bytes", output.stderr_blob.size()},
                {"filesystem", output.filesystem.hex()},
                {"memo_hit", memo_hit},
                {"out", files}});
  } else {
    if (!streamed) {  // a memo hit ran nothing: show what the run wrote
      write_all(1, *repo.get_blob(output.stdout_blob));
      write_all(2, *repo.get_blob(output.stderr_blob));
    }
    if (written && !written->removed.empty())
      std::fprintf(stderr, "fixnet run: %zu path(s) the program removed are still in %s (first: %s)\n",
                   written->removed.size(), o.out.c_str(), written->removed.front().c_str());
  }
  return static_cast<int>(output.exit_code & 0xff);
}

CommandSetup setup(CLI::App& parent) {
  CLI::App* app = add_command(
      parent, "run",
      "Run a WASI (wasm32-wasi, preview 1) program as a Fix computation: its files, arguments, "
      "environment, stdin, clock and random seed come from the command line only, so a second identical "
      "run is a memo hit and returns at once. Streams the program's stdout and stderr, writes the files "
      "it created or changed to --out, and exits with its exit code. See docs/flatware.md.",
      "  fixnet run hello.wasm -- world\n"
      "  fixnet run --dir ./src:/src --out ./build cc.wasm -- /src/main.c -o /src/main.o\n"
      "  echo text | fixnet run --stdin - wc.wasm -- -w\n"
      "  fixnet run --json --env LANG=C --seed 7 --time now prog.wasm\n"
      "  fixnet run --engine interp hello.wasm");
  auto o = std::make_shared<Options>();
  app->add_option("PROGRAM", o->program, "The program: a .wasm file, or a stored one's Name or @label")
      ->required();
  app->add_option("ARGS", o->args, "The program's arguments (after --)");
  app->add_option("--dir", o->dirs,
                  "Give the program HOST_DIR as GUEST_DIR (default /); repeatable. The program sees a "
                  "copy: the host directory is never changed")
      ->type_name("HOST_DIR[:GUEST_DIR]")
      ->allow_extra_args(false);
  app->add_option("--stdin", o->stdin_file, "What the program reads on stdin: a file, or - for this stdin")
      ->type_name("FILE");
  app->add_option("--env", o->env, "An environment variable for the program; repeatable")
      ->type_name("K=V")
      ->allow_extra_args(false);
  app->add_option("--seed", o->seed, "Seed of the program's random numbers (random_get)")->capture_default_str();
  app->add_option("--time", o->time, "The program's clock starts here: Unix seconds, or 'now'")
      ->capture_default_str();
  app->add_option("--out", o->out, "Write the files the program created or changed here")->type_name("DIR");
  app->add_option("--argv0", o->argv0, "The program's argv[0] (default: the file's name)");
  app->add_option("--memory", o->memory, "Memory limit in bytes (default 256 MiB)");
  app->add_option("--fuel", o->fuel, "Fuel limit in Wasm instructions (default 2^32)");
  app->add_option("--label", o->label, "Label the result Tree")->type_name("LABEL");
  add_engine_option(app, o->engine);
  app->add_flag("--json", o->json,
                "Print {result, exit_code, stdout, stdout_bytes, stderr, stderr_bytes, filesystem, memo_hit, "
                "out} instead of the program's output");
  return {app, [o](Session& s) { return run(s, *o); }};
}

}  // namespace
FIXNET_COMMAND(75, setup);
}  // namespace fixnet::cli
