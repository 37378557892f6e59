// fixnet eval EXPR: build an expression's objects, evaluate it, print the result's Name.
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/lib/expr.h"
#include "cli/lib/render.h"
#include "cli/lib/runtime.h"
#include "cli/lib/text.h"
#include "core/error_value.h"
#include "core/evaluator.h"

namespace fixnet::cli {
namespace {

struct Options {
  std::string expression;
  std::string label;
  bool show = false;
  bool json = false;
  int depth = 3;
  std::string engine = "auto";
};

int run(Session& session, const Options& o) {
  Repository& repo = session.repo();
  const Name built = parse_expression(o.expression, repo);
  const std::string context = fmt::format("evaluating '{}'", one_line(o.expression, 60));

  Runtime runtime(repo.cache_dir(), {.engine = *wasm::engine_named(o.engine)});
  Evaluator evaluator(repo, repo, runtime.runner(), runtime.pool());
  Name result;
  std::optional<std::string> error;
  try {
    result = evaluator.eval(built);
    error = error_message(repo, result);
  } catch (const Error&) {
    // Keep what was computed before the failure: those results are as good as any.
    try {
      repo.flush();
    } catch (const Error&) {
    }
    rethrow_with_context(context, o.expression);
  }
  if (!o.label.empty()) repo.set_label(o.label, result);
  repo.flush();

  const EvaluatorStats& stats = evaluator.stats();
  // The result came from the memo when nothing had to run and the memo answered.
  const bool memo_hit = stats.applications.load() == 0 && stats.memo_hits.load() > 0;
  if (o.json) {
    print_json({{"name", result.hex()},
                {"kind", std::string(kind_name(result.kind()))},
                {"size", result.size()},
                {"error", error ? nlohmann::json(*error) : nlohmann::json(nullptr)},
                {"memo_hit", memo_hit},
                {"applications", stats.applications.load()},
                {"memo_hits", stats.memo_hits.load()}});
  } else if (o.show) {
    fmt::print("{}", render_text(repo, result, RenderOptions{.depth = o.depth}));
  } else {
    fmt::print("{}\n", result.hex());
  }
  if (error) {
    // Still a result: memoized, labelled if asked, and `fixnet why` explains it.
    std::fflush(stdout);
    throw ProcedureError(fmt::format("{}: {}", context, *error));
  }
  return 0;
}

CommandSetup setup(CLI::App& parent) {
  CLI::App* app = add_command(
      parent, "eval",
      "Build the objects an expression describes, evaluate it (memoized: a computation already "
      "done is not run again), and print the result's Name. See docs/cli.md for the grammar.",
      "  fixnet eval 'app:[limits, native:concat, \"hello, \", \"world\"]' --show\n"
      "  fixnet eval 'select:([u8:1, u8:2, u8:3], 1)'\n"
      "  fixnet eval --label total 'app:[limits, native:add, u64:40, u64:2]'\n"
      "  fixnet eval --engine interp 'app:[limits, file:add.wasm, u8:2, u8:3]'");
  auto o = std::make_shared<Options>();
  app->add_option("EXPR", o->expression, "The expression to evaluate")->required();
  app->add_flag("--show", o->show, "Print the result like `fixnet show` instead of its Name");
  app->add_option("--depth", o->depth, "With --show: levels of nested Trees to show")
      ->capture_default_str();
  app->add_option("--label", o->label, "Label the result")->type_name("LABEL");
  add_engine_option(app, o->engine);
  app->add_flag("--json", o->json,
                "Print {name, kind, size, error, memo_hit, applications, memo_hits} as JSON");
  return {app, [o](Session& s) { return run(s, *o); }};
}

}  // namespace
FIXNET_COMMAND(70, setup);
}  // namespace fixnet::cli
