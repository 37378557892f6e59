// Engines: the steps of a datapath (docs/rpc.md, "Engines"), after mRPC's engine interface —
// do_work moves RPCs from input queues to output queues and says how much it did; decompose and
// restore carry an engine's state across an upgrade, with a version.
//
// An engine is driven by one runtime thread at a time and needs no locks. It reaches the
// application's memory only through its DatapathContext. Engines are created through a plugin
// descriptor (fixnet_rpc_engine_plugin, below), built in or exported by a shared object.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <optional>
#include <utility>
#include <span>
#include <vector>

#include "core/error.h"
#include "rpc/descriptor.h"

namespace fixnet::net {
template <class T>
class Mailbox;  // net/mailbox.h
}

namespace fixnet::rpc {

class Schema;
struct HandedPeer;  // rpc/handed_peer.h

// A message in the protobuf wire encoding, as the marshalling engine produced it from a layout:
// pieces, in order, of bytes it made (tags, lengths, numbers: in `made`) and ranges of the
// application's send heap (string and bytes fields: sent from there, never copied).
struct WirePayload {
  struct Piece {
    bool heap;  // true: send-heap offset; false: offset in `made`
    uint64_t offset;
    uint64_t length;
  };
  std::string made;
  std::vector<Piece> pieces;
  uint64_t length = 0;  // all pieces together
};

// One RPC inside the service. Requests refer to the send heap, replies to the receive heap.
struct RpcMessage {
  uint64_t call_id = 0;
  uint32_t method = 0;
  Status status = Status::kOk;
  uint64_t offset = kNoOffset;
  uint64_t length = 0;
  uint64_t done_offset = kNoOffset;  // reply: the request buffer the service is done with
  // Toward the application: kReply (an answer, or with call_id 0 only a done_offset) or kRequest (a
  // remote caller's request, for a serving application). Toward the transport: the descriptor's kind.
  Kind kind = Kind::kReply;
  // Toward the transport, after a marshalling engine: the wire encoding to send instead of the
  // bytes at [offset, offset + length) (which stay the application's buffer, returned by done_offset).
  std::shared_ptr<const WirePayload> wire = nullptr;
};

using MessageQueue = std::deque<RpcMessage>;

// What a transport answers a calling application's `request` with: its call id and method, a status,
// the reply's receive buffer (if any), and the request's send buffer back.
inline RpcMessage reply_to(const RpcMessage& request, Status status, uint64_t offset = kNoOffset, uint64_t length = 0) {
  RpcMessage reply;
  reply.call_id = request.call_id;
  reply.method = request.method;
  reply.status = status;
  reply.offset = offset;
  reply.length = length;
  reply.done_offset = request.offset;
  return reply;
}

// A send buffer handed back to the application alone (a completion with call_id 0); none for kNoOffset.
inline void hand_back(MessageQueue& toward_application, uint64_t send_offset) {
  if (send_offset == kNoOffset) return;
  RpcMessage m;
  m.call_id = 0;
  m.done_offset = send_offset;
  toward_application.push_back(m);
}

// The queues around an engine in its datapath's chain; null where the chain ends (the frontend has
// no requests_in/replies_out, a transport no requests_out/replies_in).
struct EnginePorts {
  MessageQueue* requests_in = nullptr;   // from the engine nearer the application
  MessageQueue* requests_out = nullptr;  // toward the transport
  MessageQueue* replies_in = nullptr;    // from the engine nearer the transport
  MessageQueue* replies_out = nullptr;   // toward the application
};

struct EngineState {
  uint32_t version = 0;
  std::vector<uint8_t> bytes;
};

// For engines whose state is a few u64 counters (host order): their state, and back. restore_counters
// throws InputError naming `engine` for another version or size.
inline EngineState counters_state(uint32_t version, std::initializer_list<uint64_t> counters) {
  EngineState state{version, std::vector<uint8_t>(counters.size() * 8)};
  std::memcpy(state.bytes.data(), std::data(counters), state.bytes.size());
  return state;
}
inline void restore_counters(const EngineState& state, uint32_t version, const char* engine,
                             std::initializer_list<uint64_t*> counters) {
  if (state.version != version || state.bytes.size() != counters.size() * 8)
    throw InputError(std::string(engine) + " engine cannot restore state version " + std::to_string(state.version) +
                     " of " + std::to_string(state.bytes.size()) + " bytes (it reads version " +
                     std::to_string(version) + ", " + std::to_string(counters.size() * 8) + " bytes)");
  size_t at = 0;
  for (uint64_t* counter : counters) std::memcpy(counter, state.bytes.data() + 8 * at++, 8);
}

// For an engine whose state has versions 1 (the counters earlier builds wrote, read by the caller)
// up to `newest`: throws InputError naming `engine` unless `state` is the newest.
inline void require_newest_state(const EngineState& state, uint32_t newest, const char* engine) {
  if (state.version != newest)
    throw InputError(std::string(engine) + " engine cannot restore state version " + std::to_string(state.version) +
                     " (it reads versions 1 to " + std::to_string(newest) + ")");
}

// What an engine tells the operator (`fixnet rpc ctl list`) and the metrics endpoint.
struct EngineReport {
  std::vector<std::pair<std::string, uint64_t>> counters;  // name → value
  // Prometheus sample lines (no # HELP/# TYPE: the service writes those once per family).
  std::string prometheus;
};

struct ReplyBuffer {
  uint64_t offset;
  std::span<uint8_t> bytes;
};

// What a datapath offers its engines: its application's memory, through validated ranges only.
class DatapathContext {
 public:
  virtual ~DatapathContext() = default;
  virtual uint64_t connection_id() const = 0;
  // Bytes of a request the frontend validated. The application may rewrite them at any moment:
  // copy whatever you interpret before you check it.
  virtual std::span<const uint8_t> request_bytes(uint64_t offset, uint64_t length) = 0;
  // The whole send heap (a marshaller checks every range in it itself).
  virtual std::span<const uint8_t> send_heap() = 0;
  // Bytes of a receive buffer this datapath allocated (allocate_reply) and still holds.
  virtual std::span<const uint8_t> reply_bytes(uint64_t offset, uint64_t length) = 0;
  // The application's schema hash (rpc/schema.h); zero for raw bytes.
  virtual const SchemaHash& schema_hash() const = 0;
  // The application's schema; null for raw bytes. Lives as long as the datapath.
  virtual const Schema* schema() const = 0;
  // A receive-heap buffer for a reply, or nullopt when the application holds the heap full.
  virtual std::optional<ReplyBuffer> allocate_reply(uint64_t length) = 0;
  // Frees a reply buffer (one never handed to the application, or one it released).
  virtual void free_reply(uint64_t offset) = 0;
  // The longest message the application may send or receive.
  virtual uint64_t max_message_bytes() const = 0;
  // Wake the runtime when `fd` has any of `events` (EPOLLIN, EPOLLOUT; level-triggered); 0 stops
  // watching it. An engine with sockets registers them here instead of polling them.
  virtual void watch(int fd, uint32_t events) = 0;
  // Whether some fd this datapath watches was ready when the runtime last looked (before this
  // round): false means a recv on any of them would find nothing, so an engine skips it — one
  // epoll_wait per round for the runtime instead of a recv per idle socket per round.
  virtual bool sockets_ready() const { return true; }
  // A serving application's inbox of peer connections (the tcp-server engine's input; it outlives
  // engines, so an upgrade loses none in transit); null exactly for a calling application.
  virtual net::Mailbox<HandedPeer>* handed_peers() = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const char* name() const = 0;
  // Works on what the input queues hold, bounded (a few dozen RPCs), and returns the units done;
  // 0 means it had nothing to do.
  virtual size_t do_work(EnginePorts& ports) = 0;
  // Its state, for a successor (an upgraded engine) to restore(). It changes nothing: if the
  // successor's restore fails, this engine goes on as before.
  virtual EngineState decompose() = 0;
  // Takes over a predecessor's state. Throws InputError for a version or blob it cannot read.
  virtual void restore(const EngineState& state) = 0;
  // True while it holds work it cannot advance until a peer acts (e.g. a full completion queue);
  // the runtime then sleeps with a short timeout instead of indefinitely.
  virtual bool has_pending_work() const { return false; }
  // Takes a new configuration, live. Throws InputError naming what is wrong and keeps the old one:
  // check everything before changing anything. Engines without a configuration accept only "".
  virtual void configure(std::string_view config) {
    if (!config.empty())
      throw InputError(std::string(name()) + " engine takes no configuration (give it \"\")");
  }
  // Before the engine leaves the chain (detach, upgrade): every RPC it holds goes back to the
  // front of its input queues (ports.requests_in, ports.replies_in), in the order it took them, so
  // none is lost or failed. In an upgrade it is called only after the successor's restore()
  // succeeded: what the state handed over (a transport's sockets and calls) is the successor's now,
  // and must be let go here without being closed or answered.
  virtual void give_back(EnginePorts& ports) { (void)ports; }
  // Its counters for the operator; called on the runtime thread.
  virtual void report(EngineReport& report) const { (void)report; }
};

}  // namespace fixnet::rpc

// The plugin ABI. A shared object providing an engine exports one C function,
//   const fixnet_rpc_engine_plugin* fixnet_rpc_engine_plugin_entry(void);
// returning a descriptor that lives as long as the object is loaded. abi_version covers this
// struct and the C++ Engine/DatapathContext interfaces above: plugins are built with this tree.
#define FIXNET_RPC_ENGINE_ABI_VERSION 5u
#define FIXNET_RPC_ENGINE_ENTRY "fixnet_rpc_engine_plugin_entry"
// Optional, for plugins that log (net/log.h compiled in): the service calls it right after loading,
// with its threshold and its line writer, so the plugin logs as fixnetd does (--log-level).
//   void fixnet_rpc_plugin_use_host_log(int level, void (*line)(int level, const char* component,
//                                       size_t component_bytes, const char* message, size_t message_bytes));
#define FIXNET_RPC_PLUGIN_LOG_ENTRY "fixnet_rpc_plugin_use_host_log"
#define FIXNET_RPC_BEFORE_MARSHAL 0u
#define FIXNET_RPC_AFTER_MARSHAL 1u

extern "C" {
struct fixnet_rpc_engine_plugin {
  uint32_t abi_version;
  const char* name;
  // A new engine for one datapath, or nullptr if it cannot make one. `config` is never null.
  fixnet::rpc::Engine* (*create)(fixnet::rpc::DatapathContext* context, const char* config);
  // Where the service attaches it in a chain (policies): FIXNET_RPC_BEFORE_MARSHAL sees requests in
  // the heap layout, FIXNET_RPC_AFTER_MARSHAL their wire encoding (RpcMessage::wire). Ignored for
  // transports and marshalling engines.
  uint32_t placement;  // last, so {version, name, create} leaves it 0
};
}

// Exports an engine's descriptor: as the built-in `builtin` (a function in fixnet::rpc, part of
// fixnet_rpc), or, compiled with FIXNET_RPC_PLUGIN, as a plugin's entry point — one source, both
// ways, so a "new version" of any engine can be built as a shared object.
#ifdef FIXNET_RPC_PLUGIN
#define FIXNET_RPC_EXPORT_ENGINE(builtin, descriptor)                                                     \
  extern "C" __attribute__((visibility("default"))) const fixnet_rpc_engine_plugin* fixnet_rpc_engine_plugin_entry() { \
    return &descriptor;                                                                                    \
  }
#else
#define FIXNET_RPC_EXPORT_ENGINE(builtin, descriptor) \
  namespace fixnet::rpc {                             \
  const fixnet_rpc_engine_plugin* builtin() { return &descriptor; } \
  }
#endif
