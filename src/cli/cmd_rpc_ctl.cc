// fixnet rpc ctl list|attach|detach|config|upgrade: the operator's control of a running RPC
// service (docs/rpc.md, "Operator control"; docs/cli.md). Thin: builds one JSON request, sends it on
// the service's operator socket, prints the reply (checked field by field by operator_request).
#include <fmt/format.h>

#include <cstdlib>

#include "cli/command.h"
#include "cli/rpc_ctl.h"
#include "core/error.h"
#include "rpc/operator_client.h"

namespace fixnet::cli {
namespace {

struct CtlOptions {
  std::string socket;       // the service's application socket (its .ctl is beside it)
  std::string ctl_socket;   // or the operator socket itself
  std::string engine;
  std::string config;
  bool config_given = false;
  std::string plugin;
  uint64_t app = 0;
  bool all = false;
  bool json = false;
};

std::string ctl_path(const CtlOptions& o) {
  if (!o.ctl_socket.empty()) return o.ctl_socket;
  if (!o.socket.empty()) return o.socket + ".ctl";
  if (const char* env = std::getenv("FIXNET_RPC_SOCKET")) return std::string(env) + ".ctl";
  return "/run/fixnet/rpc.sock.ctl";
}

void print_list(const nlohmann::json& reply) {
  const auto& apps = reply["applications"];
  fmt::print("fixnetd pid {}: {} application{}, {} runtime thread{}\n", reply["service"]["pid"].get<int64_t>(),
             apps.size(), apps.size() == 1 ? "" : "s", reply["service"]["runtimes"].get<uint64_t>(),
             reply["service"]["runtimes"].get<uint64_t>() == 1 ? "" : "s");
  for (const auto& a : apps) {
    fmt::print("app {}  pid {} uid {}{}  {}\n", a["app"].get<uint64_t>(), a["pid"].get<int64_t>(), a["uid"].get<int64_t>(),
               a["serving"].get<bool>() ? " (serving)" : "",
               a["schema"].is_null() ? std::string("raw bytes")
                                     : fmt::format("schema {} ({})", a["schema"].get<std::string>().substr(0, 16),
                                                   a["schema_file"].get<std::string>()));
    for (const auto& e : a["engines"]) {
      std::string counters;
      for (const auto& [name, value] : e["counters"].items()) counters += fmt::format(" {}={}", name, value.get<uint64_t>());
      const std::string config = e["config"].get<std::string>();
      fmt::print("  {:<10} {:<9}{}{}\n", e["name"].get<std::string>(),
                 e["origin"] == "built in" ? "built in" : e["origin"].get<std::string>(),
                 config.empty() ? "" : " [" + config + "]", counters);
    }
  }
}

int run(const std::string& op, const CtlOptions& o) {
  nlohmann::json request = {{"op", op}};
  if (op != "list") {
    if (o.all == (o.app != 0)) throw InputError("name one application (--app ID, see `fixnet rpc ctl list`) or --all");
    if (o.all) request["all"] = true;
    else request["app"] = o.app;
    request["engine"] = o.engine;
    if (o.config_given || op == "config") request["config"] = o.config;
    if (op == "upgrade") request["plugin"] = o.plugin;
  }
  const nlohmann::json reply = rpc::operator_request(ctl_path(o), request);
  if (o.json) {
    print_json(reply);
  } else if (op == "list" && reply.value("ok", false)) {
    print_list(reply);
  } else if (reply.value("ok", false)) {
    for (const auto& r : reply["results"]) fmt::print("app {}: {} {}\n", r["app"].get<uint64_t>(), op, o.engine);
    if (reply["results"].empty()) fmt::print("no application is connected\n");
  }
  if (!reply.value("ok", false)) throw InputError(one_line(reply["error"].get<std::string>(), 400));
  return 0;
}

}  // namespace

void add_rpc_ctl(CLI::App& rpc, std::function<int()>& action) {
  CLI::App* ctl = rpc.add_subcommand(
      "ctl", "Operate a running RPC service: list applications and their engines, attach, detach, reconfigure or "
             "upgrade engines live");
  ctl->require_subcommand(1);
  auto o = std::make_shared<CtlOptions>();
  ctl->add_option("--socket", o->socket, "The service's application socket (its operator socket is SOCKET.ctl; "
                                         "default $FIXNET_RPC_SOCKET, else /run/fixnet/rpc.sock)");
  ctl->add_option("--ctl-socket", o->ctl_socket, "The operator socket itself (fixnetd --ctl-socket)");
  auto target = [&](CLI::App* sub) {
    sub->add_option("ENGINE", o->engine, "Engine name (built-in policy: null, ratelimit, acl, qos, metrics; or a "
                                         "plugin .so path for attach)")->required();
    sub->add_option("--app", o->app, "The application (its id in `fixnet rpc ctl list`)");
    sub->add_flag("--all", o->all, "Every connected application");
    sub->add_flag("--json", o->json, "Print the service's JSON reply");
  };
  CLI::App* list = ctl->add_subcommand("list", "Applications, their datapaths' engines and counters");
  list->add_flag("--json", o->json, "Print one JSON object");
  CLI::App* attach = ctl->add_subcommand("attach", "Attach a policy engine to live datapaths");
  target(attach);
  attach->add_option("--config", o->config, "The policy's configuration (docs/rpc.md, \"Policies\")")
      ->each([o](const std::string&) { o->config_given = true; });
  CLI::App* detach = ctl->add_subcommand("detach", "Detach a policy; the calls it holds move on");
  target(detach);
  CLI::App* config = ctl->add_subcommand("config", "Give a policy a new configuration (a bad one is refused, the old "
                                                   "one stays)");
  target(config);
  config->add_option("CONFIG", o->config, "The new configuration")->required();
  CLI::App* upgrade = ctl->add_subcommand("upgrade", "Replace an engine by a new plugin version, its state carried "
                                                     "over (refused, old engine kept, if the new one cannot take it)");
  target(upgrade);
  upgrade->add_option("--plugin", o->plugin, "The new version: a plugin .so")->required();
  ctl->final_callback([&action, o, list, attach, detach, config, upgrade] {
    for (auto [sub, op] : {std::pair{list, "list"}, {attach, "attach"}, {detach, "detach"}, {config, "config"},
                           {upgrade, "upgrade"}})
      if (sub->parsed()) {
        const std::string name = op;
        action = [o, name] { return run(name, *o); };
      }
  });
}

}  // namespace fixnet::cli
