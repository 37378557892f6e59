#include "rpc/service.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "net/log.h"
#include "net/system_error.h"
#include "net/tcp.h"
#include "rpc/connection_memory.h"
#include "rpc/control_protocol.h"
#include "rpc/datapath.h"
#include "rpc/frontend_engine.h"
#include "rpc/grpc_interop.h"
#include "rpc/service_connection.h"
#include "rpc/tcp_transport_dispatch.h"

namespace fixnet::rpc {

using net::LogLevel;

// A marshaller being compiled on a thread of its own, so the control thread goes on admitting
// applications meanwhile; every application that asked for the same schema waits for this one.
struct Service::Compile {
  std::shared_ptr<const Schema> schema;
  std::vector<uint64_t> waiting;  // connection ids
  net::UniqueFd done;             // eventfd the thread writes when it finished
  std::thread thread;
  std::filesystem::path object;   // the result, or
  std::string error;              // why it failed
  std::chrono::steady_clock::time_point start;
};

namespace {

ServiceConfig checked(ServiceConfig config) {
  if (config.socket.empty()) throw InputError("the RPC service needs a socket path");
  net::check_queue_capacity(config.queue_slots);
  if (config.max_message_bytes == 0 || config.max_message_bytes > config.send_heap_bytes)
    throw InputError("max message size must be between 1 byte and the send heap size");
  if (config.allowed_uids.empty()) config.allowed_uids.push_back(::getuid());
  if (!config.peer.empty() && !config.grpc_peer.empty())
    throw InputError("--peer and --grpc-peer both name where calling applications' requests go; give one");
  if (config.ctl_socket.empty()) config.ctl_socket = config.socket.string() + ".ctl";
  if (!config.peer.empty()) {
    net::parse_tcp_address(config.peer);  // refuse a bad address at start, not at the first call
    config.transport = "tcp-client";
  }
  if (!config.grpc_peer.empty()) config.transport = "grpc-client";
  return config;
}

std::shared_ptr<GrpcInterop> start_grpc(const ServiceConfig& config) {
  if (config.grpc_listen.empty() && config.grpc_peer.empty()) return nullptr;
  return GrpcInterop::start({config.grpc_listen, config.grpc_peer, config.max_message_bytes});
}

}  // namespace

Service::Service(ServiceConfig config)
    : config_(checked(std::move(config))),
      grpc_(start_grpc(config_)),
      transport_(EnginePlugin::resolve(config_.transport)),
      transport_config_(config_.grpc_peer.empty() ? config_.peer : std::to_string(grpc_->id())),
      routes_(config_.routes, config_.peer),
      tcp_client_(EnginePlugin::resolve("tcp-client")),
      listener_(net::UnixListener::bind(config_.socket)),
      runtimes_(config_.runtime),
      marshallers_(config_.schema_cache.empty() ? default_schema_cache() : config_.schema_cache),
      admission_(config_.compile_limits),
      marshal_engine_(EnginePlugin::resolve("marshal")),
      operator_listener_(net::UnixListener::bind(config_.ctl_socket)) {
  // The operator's socket changes every application's datapath: its owner only (and root).
  if (::chmod(config_.ctl_socket.c_str(), 0600) != 0) net::throw_system_error("chmod", config_.ctl_socket.string());
  loop_.add(operator_listener_.fd(), EPOLLIN, [this](uint32_t) { accept_operators(); });
  for (const PolicySpec& p : config_.policies) {
    start_policies_.emplace_back(plugin_for(p.engine), p.config);
  }
  if (!config_.metrics.empty()) {
    metrics_http_ = std::make_unique<net::HttpTextServer>(loop_, net::parse_tcp_address(config_.metrics),
                                                          [this] { return prometheus(); });
    net::log(LogLevel::kInfo, "rpc", "metrics on http://{}/metrics (tcp port {})", config_.metrics,
             metrics_http_->port());
  }
  if (!config_.listen.empty()) {
    dispatch_ = PeerDispatch::start(loop_, net::tcp_listen(net::parse_tcp_address(config_.listen)));
    server_transport_ = EnginePlugin::resolve("tcp-server");
    net::log(LogLevel::kInfo, "rpc", "listening for peer services on {} (tcp port {})", config_.listen,
             dispatch_->port());
  }
  if (grpc_ && grpc_->serving()) {
    server_transport_ = EnginePlugin::resolve("grpc-server");
    net::log(LogLevel::kInfo, "rpc", "serving gRPC clients on {} (grpc port {})", config_.grpc_listen, grpc_->port());
  }
  if (routes_.has_routes())
    net::log(LogLevel::kInfo, "rpc", "calls routed by service: {}{}", routes_.describe(),
             config_.peer.empty() ? "" : "; other services to " + config_.peer);
  if (!config_.grpc_peer.empty())
    net::log(LogLevel::kInfo, "rpc", "calling applications' requests go to the gRPC server at {}", config_.grpc_peer);
  loop_.add(listener_.fd(), EPOLLIN, [this](uint32_t) { accept_all(); });
  net::log(LogLevel::kInfo, "rpc", "operator control on {}", config_.ctl_socket.string());
  net::log(LogLevel::kInfo, "rpc", "listening on {} (transport {}, {} runtime{})", config_.socket.string(),
           transport_->name(), config_.runtime.mode == RuntimeOptions::Mode::kShared ? "shared" : "dedicated",
           config_.runtime.mode == RuntimeOptions::Mode::kShared ? "" : "s");
}

Service::~Service() {
  for (auto& [hash, job] : compiles_)
    if (job->thread.joinable()) job->thread.join();
  std::vector<uint64_t> ids;
  for (auto& [id, c] : connections_) ids.push_back(id);
  for (uint64_t id : ids) disconnect(id, "service stopping");
}

void Service::run() { loop_.run(); }

void Service::accept_all() {
  while (auto control = listener_.accept()) {
    const uint64_t id = next_id_++;
    auto c = std::make_unique<Connection>(Connection{id, std::move(*control), {}, nullptr});
    try {
      c->peer = c->control.peer();
    } catch (const Error& e) {
      net::log(LogLevel::kWarning, "rpc", "connection {}: {}", id, e.what());
      continue;
    }
    const int fd = c->control.fd();
    connections_.emplace(id, std::move(c));
    loop_.add(fd, EPOLLIN | EPOLLRDHUP, [this, id](uint32_t) { on_hello(id); });
  }
}

void Service::refuse(Connection& c, RefusalReason reason, const std::string& text) {
  ++stats_.refused;
  net::log(LogLevel::kWarning, "rpc", "refused connection {} from pid {} uid {}: {}", c.id, c.peer.pid, c.peer.uid,
           text);
  try {
    c.control.send(encode(Refusal{reason, text}));
  } catch (const Error&) {
    // It left already; nothing to tell.
  }
}

void Service::on_hello(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  if (c.datapath) return disconnect(id, "application closed its control socket");  // the lifeline moved
  if (c.compiling) return disconnect(id, "left while its schema compiled");
  std::optional<net::ControlMessage> packet;
  Hello hello;
  bool serving = false;
  try {
    packet = c.control.receive(kMaxHelloBytes, 0);
    if (!packet) return disconnect(id, "closed before its hello");
    hello = decode_hello(packet->bytes);
    const uint32_t flags = hello.flags;
    if ((flags & ~kHelloServe) != 0) throw InputError("hello has unknown flags " + std::to_string(flags));
    serving = flags == kHelloServe;
  } catch (const Error& e) {
    refuse(c, RefusalReason::kMalformedHello, e.what());
    return disconnect(id, "malformed hello");
  }
  if (std::find(config_.allowed_uids.begin(), config_.allowed_uids.end(), c.peer.uid) == config_.allowed_uids.end()) {
    refuse(c, RefusalReason::kUidNotAllowed, "uid " + std::to_string(c.peer.uid) + " is not allowed to use this service");
    return disconnect(id, "uid not allowed");
  }
  if (stats_.active.load() >= config_.max_connections) {
    refuse(c, RefusalReason::kServiceFull, "the service serves its maximum of " +
                                               std::to_string(config_.max_connections) + " applications");
    return disconnect(id, "service full");
  }
  if (serving && !dispatch_ && !(grpc_ && grpc_->serving())) {
    refuse(c, RefusalReason::kNotServing,
           "this service listens on no TCP address, so nobody can call a serving application (fixnetd --listen or "
           "--grpc-listen)");
    return disconnect(id, "serving, but no listener");
  }
  c.serving = serving;
  std::shared_ptr<const Schema> schema;
  try {
    schema = checked_schema(hello);
    check_service(hello, schema.get());
  } catch (const InputError& e) {
    refuse(c, RefusalReason::kMalformedHello, e.what());
    return disconnect(id, "bad schema or service");
  }
  c.schema = schema;
  c.service = hello.service;
  // Calls the service cannot route are refused now, not at the first call (nor after a compile).
  if (!serving && config_.grpc_peer.empty() && routes_.has_routes() && !routes_.tcp_client_config(c.service)) {
    refuse(c, RefusalReason::kNoRoute, routes_.no_route(c.service));
    return disconnect(id, "no route for its service");
  }
  if (!schema) return attach(c, {});
  const auto object = marshallers_.path_of(schema->hash());
  std::error_code ec;
  if (std::filesystem::exists(object, ec)) {
    net::log(LogLevel::kInfo, "rpc", "connection {}: schema {} ({}, {} methods): marshaller found in the cache", id,
             schema->hash_hex(), schema->file()->name(), schema->methods().size());
    return attach(c, {schema->hash(), schema, marshal_engine_, object.string()});
  }
  c.compiling = true;
  try {
    compile(id, std::move(schema));
  } catch (const InputError& e) {
    refuse(c, RefusalReason::kServiceFull, e.what());
    disconnect(id, "too many uncached schemas");
  } catch (const Error& e) {
    refuse(c, RefusalReason::kInternal, e.what());
    disconnect(id, "schema not compiled");
  }
}

void Service::attach(Connection& c, Datapath::Marshalling marshal) {
  const uint64_t id = c.id;
  c.compiling = false;
  try {
    Welcome shape{id, net::SharedMemory::round_to_pages(config_.send_heap_bytes),
                  net::SharedMemory::round_to_pages(config_.receive_heap_bytes), config_.queue_slots,
                  config_.max_message_bytes};
    auto memory = ConnectionMemory::create(shape);
    c.control.send(encode(shape), memory.fds());
    if (grpc_ && c.schema) grpc_->learn(c.schema);  // its methods get gRPC names
    if (c.serving) {
      c.datapath = std::make_shared<Datapath>(std::move(memory), c.control.fd(), server_transport_,
                                              serving_transport_config(c.service), true, std::move(marshal));
    } else if (auto route = routes_.tcp_client_config(c.service)) {
      c.datapath = std::make_shared<Datapath>(std::move(memory), c.control.fd(), tcp_client_, *route, false,
                                              std::move(marshal));
    } else {
      c.datapath = std::make_shared<Datapath>(std::move(memory), c.control.fd(), transport_, transport_config_,
                                              false, std::move(marshal));
    }
    // Not on a runtime yet: the control thread may edit the chain directly.
    for (const auto& [plugin, config] : start_policies_) {
      try {
        c.datapath->insert_policy(plugin, config);
      } catch (const InputError& e) {
        net::log(LogLevel::kWarning, "rpc", "connection {}: policy {} not attached: {}", id, plugin->name(), e.what());
      }
    }
  } catch (const Error& e) {
    refuse(c, RefusalReason::kInternal, e.what());
    return disconnect(id, "could not set up its datapath");
  }
  runtimes_.attach(c.datapath);
  if (c.serving && dispatch_) {
    dispatch_->bind(c.service, c.datapath->schema_hash(), c.datapath->handed_peers());
    dispatch_->retry_waiting();  // peers that came before it
  }
  ++stats_.accepted;
  ++stats_.active;
  net::log(LogLevel::kInfo, "rpc", "connection {}: pid {} uid {} attached{}", id, c.peer.pid, c.peer.uid,
           c.serving ? " (serving)" : "");
}

std::string Service::serving_transport_config(const std::string& service) const {
  // tcp-server takes no configuration: its peers come from the datapath's inbox (handed_peers).
  if (!grpc_ || !grpc_->serving()) return "";
  // grpc-server, carrying tcp-server with --listen too
  return std::to_string(grpc_->id()) + " " + (service.empty() ? "-" : service) + (dispatch_ ? " tcp-server" : "");
}

std::shared_ptr<const Schema> Service::checked_schema(const Hello& hello) {
  if (hello.schema_hash == SchemaHash{}) return nullptr;
  std::shared_ptr<const Schema> schema = Schema::from_canonical(
      std::span(reinterpret_cast<const uint8_t*>(hello.schema.data()), hello.schema.size()));
  if (schema->hash() != hello.schema_hash)
    throw InputError("the Hello's schema hash " + hex(hello.schema_hash) + " is not the hash of its schema (" +
                     schema->hash_hex() + ")");
  return schema;
}

void Service::check_service(const Hello& hello, const Schema* schema) {
  if (hello.service.empty() || !schema) return;  // no name, or raw bytes: nothing to check it against
  const google::protobuf::FileDescriptor* file = schema->file();
  if (file->pool()->FindServiceByName(hello.service) != nullptr) return;
  std::string defined;
  for (int i = 0; i < file->service_count(); ++i) defined += (i ? ", " : "") + file->service(i)->full_name();
  throw InputError("the application names service " + hello.service + ", which its schema " + file->name() +
                   " does not define (it defines " + (defined.empty() ? std::string("none") : defined) + ")");
}

void Service::compile(uint64_t id, std::shared_ptr<const Schema> schema) {
  const std::string key = schema->hash_hex();
  if (auto it = compiles_.find(key); it != compiles_.end()) {
    it->second->waiting.push_back(id);  // the same schema: one compile serves all who wait for it
    return;
  }
  if (auto refusal = admission_.admit(connections_.at(id)->peer.uid, key, compile_queue_.size(),
                                      std::chrono::steady_clock::now()))
    throw InputError(*refusal);
  auto job = std::make_unique<Compile>();
  job->schema = std::move(schema);
  job->waiting.push_back(id);
  if (compiling_)
    net::log(LogLevel::kInfo, "rpc", "connection {}: schema {} ({}): waits for {} compile(s) ahead of it", id,
             job->schema->hash_hex(), job->schema->file()->name(), compile_queue_.size() + 1);
  compiles_.emplace(key, std::move(job));
  compile_queue_.push_back(key);
  if (!compiling_) start_next_compile();
}

// Starts the oldest waiting compile whose applications are still there (one at a time: a compile is
// seconds of CPU, and the service's cores also run datapaths).
void Service::start_next_compile() {
  while (!compiling_ && !compile_queue_.empty()) {
    const std::string key = compile_queue_.front();
    compile_queue_.pop_front();
    Compile* j = compiles_.at(key).get();
    const bool wanted = std::any_of(j->waiting.begin(), j->waiting.end(), [&](uint64_t id) {
      auto c = connections_.find(id);
      return c != connections_.end() && c->second->compiling;
    });
    if (!wanted) {
      compiles_.erase(key);  // everyone who asked left while it waited
      continue;
    }
    j->start = std::chrono::steady_clock::now();
    j->done = net::UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!j->done) {
      j->error = "eventfd for a schema compile: " + std::string(std::strerror(errno));
      compiled(key);  // refuses its applications (and starts the next)
      continue;
    }
    loop_.add(j->done.get(), EPOLLIN, [this, key](uint32_t) { compiled(key); });
    compiling_ = true;
    net::log(LogLevel::kInfo, "rpc", "schema {} ({}): compiling its marshaller (fixnet rpc register compiles ahead "
             "of time)", j->schema->hash_hex(), j->schema->file()->name());
    j->thread = std::thread([this, j] {
      try {
        j->object = marshallers_.ensure(*j->schema);
      } catch (const std::exception& e) {
        j->error = e.what();
      }
      const uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(j->done.get(), &one, sizeof one);
    });
  }
}

void Service::compiled(const std::string& key) {
  auto it = compiles_.find(key);
  if (it == compiles_.end()) return;
  std::unique_ptr<Compile> job = std::move(it->second);
  compiles_.erase(it);
  if (job->thread.joinable()) {
    loop_.remove(job->done.get());
    job->thread.join();
    compiling_ = false;
  }
  const auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - job->start).count();
  net::log(job->error.empty() ? LogLevel::kInfo : LogLevel::kWarning, "rpc",
           "schema {} ({}): marshaller {} in {:.0f} ms", job->schema->hash_hex(), job->schema->file()->name(),
           job->error.empty() ? "generated and compiled" : "failed: " + job->error, ms);
  for (uint64_t id : job->waiting) {
    auto c = connections_.find(id);
    if (c == connections_.end() || !c->second->compiling) continue;  // it left meanwhile
    if (!job->error.empty()) {
      refuse(*c->second, RefusalReason::kInternal, job->error);
      disconnect(id, "schema not compiled");
      continue;
    }
    attach(*c->second, {job->schema->hash(), job->schema, marshal_engine_, job->object.string()});
  }
  start_next_compile();
}

void Service::disconnect(uint64_t id, const char* why) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  loop_.remove(c.control.fd());
  if (c.datapath) {
    if (dispatch_ && c.datapath->handed_peers()) dispatch_->unbind(c.datapath->handed_peers());
    runtimes_.detach(c.datapath.get());
    const auto& counters = c.datapath->frontend().counters();
    net::log(LogLevel::kInfo, "rpc", "connection {}: {}; reclaimed (requests {}, rejected {}, bad releases {})", id,
             why, counters.requests, counters.rejected, counters.bad_releases);
    --stats_.active;
    ++stats_.reclaimed;
  } else {
    net::log(LogLevel::kDebug, "rpc", "connection {}: {}", id, why);
  }
  connections_.erase(it);  // the datapath's memory and the socket go with it
}

}  // namespace fixnet::rpc
