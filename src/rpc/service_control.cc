// The operator's side of rpc::Service (docs/rpc.md, "Operator control"): the control socket
// (SOCK_SEQPACKET, one JSON request per packet, one JSON reply), the chain edits it asks for — each
// run on the runtime thread that owns the datapath (RuntimePool::execute) —, and the Prometheus text.
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <cstring>
#include <sstream>

#include "core/error.h"
#include "net/log.h"
#include "rpc/frontend_engine.h"
#include "rpc/schema.h"
#include "rpc/service.h"
#include "rpc/service_connection.h"

namespace fixnet::rpc {

using net::LogLevel;
using nlohmann::json;

namespace {

constexpr size_t kMaxRequestBytes = 64 * 1024;

std::string text_of(const json& request, const char* key, bool required = true) {
  auto it = request.find(key);
  if (it == request.end() || it->is_null()) {
    if (required) throw InputError(std::string("the request needs \"") + key + "\"");
    return "";
  }
  if (!it->is_string()) throw InputError(std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

json failure(const std::string& why) { return {{"ok", false}, {"error", why}}; }

}  // namespace

void Service::accept_operators() {
  while (auto control = operator_listener_.accept()) {
    net::PeerCredentials peer;
    try {
      peer = control->peer();
    } catch (const Error& e) {
      continue;
    }
    // Anyone else who reaches the socket gets their first request answered with a refusal.
    const bool allowed = peer.uid == ::getuid() || peer.uid == 0;
    if (!allowed)
      net::log(LogLevel::kWarning, "rpc", "operator connection from pid {} uid {} refused: only uid {} or root may "
               "control this service", peer.pid, peer.uid, ::getuid());
    const int fd = control->fd();
    operators_.emplace(fd, Operator{std::move(*control), allowed ? "" : "uid " + std::to_string(peer.uid) +
                                                                        " may not control this service"});
    loop_.add(fd, EPOLLIN | EPOLLRDHUP, [this, fd](uint32_t) { on_operator(fd); });
  }
}

void Service::on_operator(int fd) {
  auto it = operators_.find(fd);
  if (it == operators_.end()) return;
  net::UnixControl& channel = it->second.control;
  json reply;
  try {
    auto packet = channel.receive(kMaxRequestBytes, 0);
    if (!packet) {
      loop_.remove(fd);
      operators_.erase(it);
      return;
    }
    if (!it->second.refusal.empty()) throw InputError(it->second.refusal);
    json request;
    try {
      request = json::parse(packet->bytes.begin(), packet->bytes.end());
    } catch (const json::exception&) {
      throw InputError("the request is not JSON");
    }
    reply = control(request);
  } catch (const Error& e) {
    reply = failure(e.what());
  }
  try {
    // Messages quote the request cut to a length, possibly inside a UTF-8 sequence: dump() would throw.
    const std::string text = reply.dump(-1, ' ', false, json::error_handler_t::replace);
    channel.send(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  } catch (const Error& e) {
    net::log(LogLevel::kWarning, "rpc", "operator reply not sent: {}", e.what());
  }
  if (!it->second.refusal.empty()) {
    loop_.remove(fd);
    operators_.erase(fd);
  }
}

std::shared_ptr<const EnginePlugin> Service::plugin_for(const std::string& spec) {
  if (spec.empty()) throw InputError("no engine named");
  return EnginePlugin::resolve(spec);
}

std::vector<Service::Connection*> Service::targets(const json& request) {
  std::vector<Connection*> chosen;
  const bool all = request.contains("all") && request["all"] == true;
  if (all) {
    for (auto& [id, c] : connections_)
      if (c->datapath) chosen.push_back(c.get());
    return chosen;
  }
  if (!request.contains("app") || !request["app"].is_number_unsigned())
    throw InputError("name an application (\"app\": ID, see `fixnet rpc ctl list`) or all of them (\"all\": true)");
  const uint64_t id = request["app"].get<uint64_t>();
  auto it = connections_.find(id);
  if (it == connections_.end() || !it->second->datapath)
    throw InputError("no application " + std::to_string(id) + " is connected (see `fixnet rpc ctl list`)");
  chosen.push_back(it->second.get());
  return chosen;
}

json Service::edit_each(const json& request, const std::function<void(Datapath&)>& edit) {
  json results = json::array();
  bool ok = true;
  for (Connection* c : targets(request)) {
    json r = {{"app", c->id}, {"ok", true}};
    try {
      runtimes_.execute(c->datapath.get(), edit);
    } catch (const Error& e) {
      r["ok"] = false;
      r["error"] = e.what();
      ok = false;
    }
    results.push_back(std::move(r));
  }
  json reply = {{"ok", ok}, {"results", results}};
  if (!ok) {
    for (const auto& r : results)
      if (r["ok"] == false) {
        reply["error"] = "application " + std::to_string(r["app"].get<uint64_t>()) + ": " + r["error"].get<std::string>();
        break;
      }
  }
  return reply;
}

json Service::control(const json& request) {
  if (!request.is_object()) throw InputError("the request must be a JSON object");
  const std::string op = text_of(request, "op");
  json reply;
  if (op == "list") {
    reply = list();
  } else if (op == "attach") {
    auto plugin = plugin_for(text_of(request, "engine"));
    for (const char* fixed : {"echo", "tcp-client", "tcp-server", "marshal"})
      if (plugin->origin() == "built in" && plugin->name() == fixed)
        throw InputError(std::string(fixed) + " is a " + (plugin->name() == "marshal" ? "marshalling" : "transport") +
                         " engine, not a policy: it can be upgraded, not attached");
    const std::string config = text_of(request, "config", false);
    reply = edit_each(request, [&](Datapath& d) { d.insert_policy(plugin, config); });
  } else if (op == "detach") {
    const std::string engine = text_of(request, "engine");
    reply = edit_each(request, [&](Datapath& d) { d.remove(d.find(engine)); });
  } else if (op == "config") {
    const std::string engine = text_of(request, "engine");
    const std::string config = text_of(request, "config");
    reply = edit_each(request, [&](Datapath& d) { d.configure(d.find(engine), config); });
  } else if (op == "upgrade") {
    const std::string engine = text_of(request, "engine");
    auto plugin = plugin_for(text_of(request, "plugin"));
    reply = edit_each(request, [&](Datapath& d) { d.upgrade(d.find(engine, true), plugin); });
  } else {
    throw InputError("unknown operation '" + one_line(op) + "' (list, attach, detach, config, upgrade)");
  }
  if (op != "list")
    net::log(reply["ok"] == true ? LogLevel::kInfo : LogLevel::kWarning, "rpc", "operator: {}: {}",
             one_line(request.dump(), 300), reply["ok"] == true ? std::string("done") : reply["error"].get<std::string>());
  return reply;
}

std::vector<std::pair<Service::Connection*, std::vector<EngineInfo>>> Service::chains() {
  std::vector<std::pair<Connection*, std::vector<EngineInfo>>> all;
  for (auto& [id, c] : connections_) {
    if (!c->datapath) continue;
    std::vector<EngineInfo> chain;
    try {
      runtimes_.execute(c->datapath.get(), [&](Datapath& d) { chain = d.describe(); });
    } catch (const Error&) {
      continue;  // it is leaving
    }
    all.emplace_back(c.get(), std::move(chain));
  }
  return all;
}

json Service::list() {
  json apps = json::array();
  for (const auto& [c, chain] : chains()) {
    const uint64_t id = c->id;
    json engines = json::array();
    for (const auto& e : chain) {
      json counters = json::object();
      for (const auto& [name, value] : e.report.counters) counters[name] = value;
      engines.push_back({{"name", e.name}, {"origin", e.origin}, {"config", e.config}, {"counters", counters}});
    }
    const Schema* schema = c->datapath->schema();
    apps.push_back({{"app", id},
                    {"pid", c->peer.pid},
                    {"uid", c->peer.uid},
                    {"serving", c->serving},
                    {"service", c->service},
                    {"schema", schema ? json(schema->hash_hex()) : json(nullptr)},
                    {"schema_file", schema ? json(schema->file()->name()) : json(nullptr)},
                    {"engines", engines}});
  }
  json start = json::array();
  for (const auto& [plugin, config] : start_policies_) start.push_back({{"engine", plugin->name()}, {"config", config}});
  return {{"ok", true},
          {"service", {{"pid", ::getpid()}, {"uid", ::getuid()}, {"runtimes", runtimes_.threads()},
                       {"policies_at_connect", start}}},
          {"applications", apps}};
}

std::string Service::prometheus() {
  // Samples grouped by family (the text format wants each family's lines together).
  std::map<std::string, std::string> families;
  auto family_of = [](const std::string& line) {
    std::string name = line.substr(0, line.find_first_of("{ "));
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (name.size() > std::strlen(suffix) && name.ends_with(suffix) && name.starts_with("fixnet_rpc_latency"))
        return name.substr(0, name.size() - std::strlen(suffix));
    return name;
  };
  for (const auto& [c, chain] : chains()) {
    const uint64_t id = c->id;
    for (const auto& e : chain) {
      for (const auto& [name, value] : e.report.counters)
        families["fixnet_rpc_engine_counter"] += "fixnet_rpc_engine_counter{app=\"" + std::to_string(id) +
                                                 "\",engine=\"" + e.name + "\",counter=\"" + name + "\"} " +
                                                 std::to_string(value) + "\n";
      std::istringstream lines(e.report.prometheus);
      for (std::string line; std::getline(lines, line);)
        if (!line.empty()) families[family_of(line)] += line + "\n";
    }
  }
  static const std::map<std::string, std::pair<const char*, const char*>> kinds = {
      {"fixnet_rpc_engine_counter", {"gauge", "A counter of an engine of an application's datapath"}},
      {"fixnet_rpc_calls_total", {"counter", "Calls per method seen by a metrics policy"}},
      {"fixnet_rpc_errors_total", {"counter", "Replies with an error status per method seen by a metrics policy"}},
      {"fixnet_rpc_latency_seconds", {"histogram", "Time from a metrics policy to the reply, per method"}}};
  std::string text = "# fixnetd rpc: " + std::to_string(stats_.active.load()) + " applications\n";
  for (const auto& [family, lines] : families) {
    auto kind = kinds.find(family);
    if (kind != kinds.end())
      text += "# HELP " + family + " " + kind->second.second + "\n# TYPE " + family + " " + kind->second.first + "\n";
    text += lines;
  }
  return text;
}

}  // namespace fixnet::rpc
