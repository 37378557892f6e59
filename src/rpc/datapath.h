// Datapath: one application's chain of engines inside the service — the frontend (its queues),
// then policies, then the marshalling engine (with a schema), then policies that read the wire
// encoding, then the transport — with the in-service queues between them, the application's shared
// memory and the private allocator of its receive heap. It is the DatapathContext its engines see.
//
// Driven by one runtime thread at a time (no locks); built and destroyed by the service's control
// thread while no runtime holds it. The chain edits (insert/remove/upgrade/configure/describe) run
// on the runtime thread that owns it (Runtime::execute), between rounds. Destroying it drops the engines and their in-flight messages
// and unmaps the application's memory: that is the reclamation of a departed application.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "net/doorbell.h"
#include "net/heap_allocator.h"
#include "rpc/connection_memory.h"
#include "rpc/engine.h"
#include "rpc/engine_plugin.h"
#include "rpc/handed_peer.h"

namespace fixnet::rpc {

class FrontendEngine;

// The marshalling engine between frontend and transport (with its config), for an application that
// speaks `schema`; a null engine for raw bytes.
struct DatapathMarshalling {
  SchemaHash schema{};
  std::shared_ptr<const Schema> parsed;  // the schema itself (policies resolve names in it)
  std::shared_ptr<const EnginePlugin> engine;
  std::string config;
};

// One engine of a chain, as the operator sees it.
struct EngineInfo {
  std::string name;
  std::string origin;  // "built in" or the plugin's path
  std::string config;
  EngineReport report;
};

class Datapath final : public DatapathContext {
 public:
  // `control_fd` is the connection's socket: shut down (not closed) when the application breaks
  // its queues, so the control side sees a hang-up and reclaims the connection.
  // `transport_config` goes to the transport's create(); `serving` makes this a serving application's
  // datapath (its frontend takes Replies and hands out Requests).
  using Marshalling = DatapathMarshalling;
  Datapath(ConnectionMemory memory, int control_fd, std::shared_ptr<const EnginePlugin> transport,
           const std::string& transport_config = "", bool serving = false, Marshalling marshalling = {});
  ~Datapath() override;

  // One round over the chain; returns the work done.
  size_t do_work();
  // Whether a round would find work now (the submission queue or an in-service queue holds some).
  bool has_input();
  bool has_pending_work() const;
  net::Doorbell& submission_doorbell() { return submission_bell_; }
  // Readable when an fd an engine watches is ready (an epoll set: the runtime nests it in its own).
  int watch_fd() const { return watch_epoll_.get(); }
  // What the runtime's epoll said of watch_fd() before this round (sockets_ready()).
  void set_sockets_ready(bool ready) { sockets_ready_ = ready; }
  const FrontendEngine& frontend() const { return *frontend_; }

  // Chain edits; runtime thread only. Each throws InputError (or EnvironmentError) and then leaves
  // the chain as it was. Positions count from the frontend (0); the last is the transport.
  // A policy from `plugin` with `config`, placed by the plugin's placement: before the marshalling
  // engine, or after it (just before the transport); after the policies already there.
  void insert_policy(std::shared_ptr<const EnginePlugin> plugin, const std::string& config);
  // The first engine named `name` that may be edited (not the frontend; not the transport or the
  // marshalling engine unless `any`); throws InputError naming the chain when there is none.
  size_t find(std::string_view name, bool any = false) const;
  // Takes a policy out; what it held and what waits around it moves on, none lost.
  void remove(size_t position);
  // decompose → plugin create → restore → swap; if create or restore throws, the old engine stays.
  void upgrade(size_t position, std::shared_ptr<const EnginePlugin> plugin);
  void configure(size_t position, const std::string& config);
  std::vector<EngineInfo> describe() const;

  uint64_t connection_id() const override { return memory_.shape.connection_id; }
  std::span<const uint8_t> request_bytes(uint64_t offset, uint64_t length) override;
  std::optional<ReplyBuffer> allocate_reply(uint64_t length) override;
  void free_reply(uint64_t offset) override;
  std::span<const uint8_t> send_heap() override { return {memory_.send_heap.data(), memory_.send_heap.size()}; }
  std::span<const uint8_t> reply_bytes(uint64_t offset, uint64_t length) override;
  const SchemaHash& schema_hash() const override { return schema_; }
  const Schema* schema() const override { return parsed_schema_.get(); }
  uint64_t max_message_bytes() const override { return memory_.shape.max_message_bytes; }
  void watch(int fd, uint32_t events) override;
  bool sockets_ready() const override { return sockets_ready_; }
  PeerInbox* handed_peers() override { return handed_peers_.get(); }

 private:
  struct Stage {
    std::shared_ptr<const EnginePlugin> plugin;  // keeps a plugin's code loaded; null for the frontend
    std::unique_ptr<Engine> engine;              // destroyed before `plugin`
    std::string config;
    enum class Role { kFrontend, kPolicy, kMarshal, kTransport } role;

    Stage(std::shared_ptr<const EnginePlugin> p, std::unique_ptr<Engine> e, std::string c, Role r)
        : plugin(std::move(p)), engine(std::move(e)), config(std::move(c)), role(r) {}
    Stage(Stage&&) noexcept = default;
    // The engine first: replacing the plugin first could unload the code of the engine it drops
    // (vector::erase move-assigns the stages after the erased one).
    Stage& operator=(Stage&& other) noexcept {
      engine = std::move(other.engine);
      plugin = std::move(other.plugin);
      config = std::move(other.config);
      role = other.role;
      return *this;
    }
  };
  void relink();  // ports_ after the queues changed

  ConnectionMemory memory_;
  SchemaHash schema_{};
  std::shared_ptr<const Schema> parsed_schema_;
  int control_fd_;
  bool shut_down_ = false;
  net::HeapAllocator receive_allocator_;
  net::Doorbell submission_bell_;
  net::UniqueFd watch_epoll_;
  bool sockets_ready_ = true;  // until the runtime first looks
  std::unique_ptr<PeerInbox> handed_peers_;  // serving datapaths; outlives the engines below
  FrontendEngine* frontend_;
  std::vector<Stage> stages_;          // frontend first, transport last
  std::vector<MessageQueue> requests_;  // requests_[i]: stage i → i+1
  std::vector<MessageQueue> replies_;   // replies_[i]: stage i+1 → i
  std::vector<EnginePorts> ports_;
};

}  // namespace fixnet::rpc
