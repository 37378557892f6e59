// fixnet rpc register|hash|generate FILE.proto: RPC schemas (docs/rpc.md, "Schemas"). `register`
// compiles the service's marshaller ahead of time into the schema cache, so an application that
// connects with the schema costs milliseconds instead of a compile.
#include <fmt/format.h>

#include <chrono>
#include <fstream>

#include "cli/command.h"
#include "cli/rpc_ctl.h"
#include "rpc/marshaller.h"
#include "rpc/marshaller_generator.h"
#include "rpc/schema.h"

namespace fixnet::cli {
namespace {

namespace fs = std::filesystem;

struct RpcOptions {
  std::string proto;
  std::vector<std::string> imports;
  std::string cache;
  std::string output;
  bool json = false;
};

std::unique_ptr<rpc::Schema> parse(const RpcOptions& o) {
  std::vector<fs::path> imports(o.imports.begin(), o.imports.end());
  return rpc::Schema::parse(o.proto, imports);
}

nlohmann::json methods_json(const rpc::Schema& schema) {
  nlohmann::json methods = nlohmann::json::array();
  for (const auto& m : schema.methods())
    methods.push_back({{"id", m.id},
                       {"name", m.method->full_name()},
                       {"request", m.method->input_type()->full_name()},
                       {"reply", m.method->output_type()->full_name()}});
  return methods;
}

int hash(const RpcOptions& o) {
  auto schema = parse(o);
  if (o.json) {
    print_json({{"file", o.proto}, {"schema_hash", schema->hash_hex()}, {"methods", methods_json(*schema)}});
    return 0;
  }
  fmt::print("{}  {}\n", schema->hash_hex(), o.proto);
  for (const auto& m : schema->methods())
    fmt::print("  method {:>3}  {}({}) returns ({})\n", m.id, m.method->full_name(), m.method->input_type()->full_name(),
               m.method->output_type()->full_name());
  return 0;
}

int register_schema(const RpcOptions& o) {
  auto schema = parse(o);
  const rpc::MarshallerCache cache(o.cache.empty() ? rpc::default_schema_cache() : fs::path(o.cache));
  const auto start = std::chrono::steady_clock::now();
  bool compiled = false;
  const fs::path object = cache.ensure(*schema, &compiled);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (o.json) {
    print_json({{"file", o.proto},
                {"schema_hash", schema->hash_hex()},
                {"marshaller", object.string()},
                {"compiled", compiled},
                {"seconds", seconds},
                {"methods", methods_json(*schema)}});
    return 0;
  }
  fmt::print("{} {}: schema {} ({} method{}), marshaller {}{}\n", compiled ? "registered" : "already registered",
             o.proto, schema->hash_hex(), schema->methods().size(), schema->methods().size() == 1 ? "" : "s",
             object.string(), compiled ? fmt::format(" (compiled in {:.2f} s)", seconds) : "");
  return 0;
}

int generate(const RpcOptions& o) {
  auto schema = parse(o);
  const std::string source = rpc::generate_marshaller(*schema);
  if (o.output.empty() || o.output == "-") {
    fmt::print("{}", source);
    return 0;
  }
  std::ofstream out(o.output);
  out << source;
  if (!out) throw EnvironmentError("cannot write " + o.output);
  return 0;
}

CommandSetup setup(CLI::App& parent) {
  CLI::App* app = add_command(parent, "rpc",
                              "RPC schemas and the running service: register a .proto with the local RPC service's marshaller cache, print "
                              "its schema hash and method numbers, or the marshaller source the service generates; operate the "
                              "service's engines live (ctl).",
                              "  fixnet rpc register examples/rpc/echo.proto\n  fixnet rpc hash kv.proto --json\n"
                              "  fixnet rpc ctl --socket /run/fixnet/rpc.sock list\n"
                              "  fixnet rpc ctl attach ratelimit --config 'rate=1000 burst=50' --all");
  app->require_subcommand(1);
  auto options = std::make_shared<RpcOptions>();
  auto common = [&](CLI::App* sub) {
    sub->add_option("FILE", options->proto, "The .proto file (proto3)")->required();
    sub->add_option("-I,--import", options->imports, "Another directory to find imports in");
    sub->add_flag("--json", options->json, "Print one JSON object");
  };
  CLI::App* reg = app->add_subcommand(
      "register", "Compile the service's marshaller for FILE into the schema cache now, so connecting costs milliseconds");
  common(reg);
  reg->add_option("--schema-cache", options->cache,
                  "The cache fixnetd uses (default $FIXNET_SCHEMA_CACHE, else ~/.cache/fixnet/rpc-schemas)");
  CLI::App* h = app->add_subcommand("hash", "Print FILE's schema hash and its methods' numbers");
  common(h);
  CLI::App* gen = app->add_subcommand("generate", "Print the marshaller source the service generates for FILE");
  common(gen);
  gen->add_option("-o,--output", options->output, "Write it to this file instead");
  auto ctl_action = std::make_shared<std::function<int()>>();
  add_rpc_ctl(*app, *ctl_action);
  return {app, [options, reg, h, ctl_action](Session&) {
            if (*ctl_action) return (*ctl_action)();
            if (reg->parsed()) return register_schema(*options);
            if (h->parsed()) return hash(*options);
            return generate(*options);
          }};
}

}  // namespace
FIXNET_COMMAND(130, setup);
}  // namespace fixnet::cli
