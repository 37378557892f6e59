// rpc::Service: the managed RPC service (docs/rpc.md). It listens on a Unix-domain socket, admits
// applications whose uid is allowed, gives each its own shared memory and datapath, schedules the
// datapaths on runtime threads, and reclaims everything of an application that goes away.
//
// run() is the control side (an EventLoop on the calling thread); datapaths run on the runtimes.
// stop() may be called from any thread or a signal handler. The constructor binds the socket and
// throws (InputError for a bad configuration, EnvironmentError when the system refuses).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/event_loop.h"
#include "net/http_text_server.h"
#include "net/unix_control.h"
#include "rpc/call_routes.h"
#include "rpc/compile_admission.h"
#include "rpc/control_protocol.h"
#include "rpc/datapath.h"
#include "rpc/engine_plugin.h"
#include "rpc/marshaller.h"
#include "rpc/runtime.h"

namespace fixnet::rpc {

class GrpcInterop;   // rpc/grpc_interop.h
class PeerDispatch;  // rpc/tcp_transport_dispatch.h

// A policy every application gets when it connects (fixnetd --config FILE.toml).
struct PolicySpec {
  std::string engine;  // a built-in name or a plugin path
  std::string config;
};

struct ServiceConfig {
  std::filesystem::path socket;
  std::vector<uid_t> allowed_uids;  // empty: the service's own uid only
  uint64_t send_heap_bytes = 16 << 20;
  uint64_t receive_heap_bytes = 16 << 20;
  uint32_t queue_slots = 256;
  uint32_t max_message_bytes = 8 << 20;
  size_t max_connections = 1024;
  RuntimeOptions runtime;
  std::string transport = "echo";  // a built-in engine name or a plugin path
  std::string listen;  // "HOST:PORT": accept peer services' connections for serving applications
  std::string peer;    // "HOST:PORT": calling applications' requests go there (the tcp-client transport)
  std::vector<ServiceRoute> routes;  // calls to these services go to their peers instead (call_routes.h)
  std::string grpc_listen;  // "HOST:PORT": accept gRPC clients for serving applications (grpc_interop.h)
  std::string grpc_peer;    // "HOST:PORT": calling applications' requests go to this gRPC server
  std::filesystem::path schema_cache;  // compiled marshallers (marshaller.h); empty: default_schema_cache()
  std::filesystem::path ctl_socket;    // the operator's socket; empty: SOCKET.ctl beside `socket`
  std::vector<PolicySpec> policies;    // attached to every application as it connects
  std::string metrics;                 // "HOST:PORT": serve Prometheus text over HTTP there
  CompileLimits compile_limits;        // applications with uncached schemas (compile_admission.h)
};

struct ServiceStats {
  std::atomic<uint64_t> accepted{0};   // connections that completed the handshake
  std::atomic<uint64_t> refused{0};    // refused at the handshake (uid, version, malformed, full)
  std::atomic<uint64_t> active{0};
  std::atomic<uint64_t> reclaimed{0};  // connections whose resources were reclaimed
};

class Service {
 public:
  explicit Service(ServiceConfig config);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void run();
  void stop() { loop_.stop(); }
  const ServiceStats& stats() const { return stats_; }

  // Operator requests (docs/rpc.md, "Operator control"): one JSON request, one JSON reply; errors
  // are replies {"ok": false, "error": "…"}. Control thread only.
  nlohmann::json control(const nlohmann::json& request);
  // The Prometheus text of every engine's counters and the metrics policies' samples.
  std::string prometheus();

 private:
  struct Connection;
  void accept_all();
  void on_hello(uint64_t id);
  void refuse(Connection& c, RefusalReason reason, const std::string& text);
  void disconnect(uint64_t id, const char* why);
  struct Compile;
  // Welcome + datapath for an admitted application.
  void attach(Connection& c, Datapath::Marshalling marshal);
  // The config of server_transport_ for an application serving `service`: none for tcp-server (its
  // peers come through the datapath's inbox), grpc-server's interop and service (and tcp-server).
  std::string serving_transport_config(const std::string& service) const;
  // The Hello's service name, checked against its schema; throws InputError for one it lacks.
  static void check_service(const Hello& hello, const Schema* schema);
  // The Hello's schema (null for raw bytes); throws InputError for a bad one.
  std::shared_ptr<const Schema> checked_schema(const Hello& hello);
  // Compiles a schema's marshaller on a thread, one schema at a time; the application waits
  // (compiling) until compiled(). Throws InputError when admission_ refuses it.
  void compile(uint64_t id, std::shared_ptr<const Schema> schema);
  void start_next_compile();
  void compiled(const std::string& key);
  void accept_operators();
  void on_operator(int fd);
  // The applications a request names ("app": ID or "all": true); throws InputError.
  std::vector<Connection*> targets(const nlohmann::json& request);
  // Runs `edit` on each target's runtime; the reply lists each application's outcome.
  nlohmann::json edit_each(const nlohmann::json& request, const std::function<void(Datapath&)>& edit);
  nlohmann::json list();
  // Each application's chain, as its runtime thread describes it (those leaving are skipped).
  std::vector<std::pair<Connection*, std::vector<EngineInfo>>> chains();
  std::shared_ptr<const EnginePlugin> plugin_for(const std::string& spec);

  ServiceConfig config_;
  std::shared_ptr<GrpcInterop> grpc_;  // with --grpc-listen or --grpc-peer; outlives every datapath
  std::shared_ptr<const EnginePlugin> transport_;
  std::string transport_config_;
  CallRoutes routes_;  // --route and --peer: calling applications' tcp-client by service
  std::shared_ptr<const EnginePlugin> tcp_client_;
  std::shared_ptr<const EnginePlugin> server_transport_;  // with a TCP or gRPC listener only
  net::EventLoop loop_;
  std::shared_ptr<PeerDispatch> dispatch_;  // with --listen; uses loop_, so declared after it
  net::UnixListener listener_;
  RuntimePool runtimes_;
  MarshallerCache marshallers_;
  std::map<std::string, std::unique_ptr<Compile>> compiles_;  // by schema hash (hex): compiling or waiting
  std::deque<std::string> compile_queue_;                       // waiting, in order of arrival
  bool compiling_ = false;                                      // one of compiles_ is being compiled
  CompileAdmission admission_;
  std::shared_ptr<const EnginePlugin> marshal_engine_;
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
  std::vector<std::pair<std::shared_ptr<const EnginePlugin>, std::string>> start_policies_;
  net::UnixListener operator_listener_;
  struct Operator {
    net::UnixControl control;
    std::string refusal;  // non-empty: a peer not allowed to operate; its request gets this answer
  };
  std::map<int, Operator> operators_;  // by fd
  std::unique_ptr<net::HttpTextServer> metrics_http_;
  uint64_t next_id_ = 1;
  ServiceStats stats_;
};

}  // namespace fixnet::rpc
