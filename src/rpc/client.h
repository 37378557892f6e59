// rpc::Client: an application's connection to the local RPC service (docs/rpc.md).
//
//   auto client = rpc::Client::connect("/run/fixnet/rpc.sock");
//   rpc::Client::Message m = client->allocate(64);      // bytes in the shared send heap
//   fill(m.bytes);
//   uint64_t id = client->send(kMethod, m, 64);          // the service owns the buffer until it is done
//   rpc::Client::Reply reply = client->wait(id);         // bytes in the read-only receive heap
//   use(reply.bytes());                                   // released when `reply` goes away
//
// Ownership: a Message belongs to the application until send(); from then on to the service, until
// a reply names it done (the client frees it then — do not touch it after send()). A Reply's bytes
// belong to the application until the Reply is destroyed or released; the release goes back to the
// service, batched. Calls may be outstanding concurrently; replies may arrive in any order.
//
// One thread uses a Client at a time. A Client is not movable (Replies point to it); connect()
// returns it on the heap. Failures: InputError when the service refuses us (the message says why),
// EnvironmentError when it cannot be reached or goes away (wait() notices the hang-up).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "net/descriptor_queue.h"
#include "net/doorbell.h"
#include "net/heap_allocator.h"
#include "net/unix_control.h"
#include "rpc/connection_memory.h"
#include "rpc/descriptor.h"

namespace fixnet::rpc {

// The schema an application speaks (generated stubs carry it: protoc-gen-fixnet): sent in the Hello,
// so the service marshals the application's messages (docs/rpc.md, "Schemas"). Empty: raw bytes.
// `service` names the proto service the application calls or serves (its full name, `hotel.Geo`;
// the stubs pass it): the service routes its calls (fixnetd --route) and hands it the peers that call
// it by that name (docs/rpc.md, "Routing by service"). Empty: no name (any peer, the one --peer).
// A raw-bytes application may name a service too.
struct SchemaBinding {
  SchemaHash hash{};
  std::string_view canonical;  // the canonical descriptor set; must outlive connect()
  std::string_view service = {};
};

struct ClientOptions {
  // Busy-poll this long before sleeping (while the core is ours alone: net::poll_pause). Longer than a
  // call's round trip, so a stream of calls keeps the application awake instead of waking it per call.
  // Only while waits are typically this short: when they typically last longer (a slow service, a
  // server between sparse requests) the poll would end empty anyway, and the wait sleeps at once.
  std::chrono::nanoseconds spin = std::chrono::microseconds(200);
  size_t release_batch = 16;                                       // releases posted together
};

class Client {
 public:
  using Options = ClientOptions;

  struct Message {
    uint64_t offset = kNoOffset;
    std::span<uint8_t> bytes;
  };

  class Reply {
   public:
    Reply() = default;
    Reply(Reply&& other) noexcept;
    Reply& operator=(Reply&& other) noexcept;
    ~Reply() { release(); }

    uint64_t call_id() const { return call_id_; }
    uint32_t method() const { return method_; }
    Status status() const { return status_; }
    bool ok() const { return status_ == Status::kOk; }
    std::span<const uint8_t> bytes() const { return bytes_; }
    void release();  // gives the buffer back now (idempotent)

   private:
    friend class Client;
    Client* client_ = nullptr;
    uint64_t call_id_ = 0;
    uint32_t method_ = 0;
    Status status_ = Status::kOk;
    uint64_t offset_ = kNoOffset;
    std::span<const uint8_t> bytes_;
  };

  static std::unique_ptr<Client> connect(const std::filesystem::path& socket, Options options = Options());
  // Connects speaking `schema`: requests and replies are messages in the schema's heap layout. The
  // service refuses a schema it cannot use (InputError saying why).
  static std::unique_ptr<Client> connect(const std::filesystem::path& socket, const SchemaBinding& schema,
                                         Options options = Options());
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // `size` bytes in the send heap. When it is full, first collects what the service has finished
  // with; throws EnvironmentError if still nothing fits.
  Message allocate(uint64_t size);
  // Posts a request of the first `length` bytes of `message` for `method`; returns its call id.
  uint64_t send(uint32_t method, const Message& message, uint64_t length);
  // The reply to `call_id`; waits for it (adaptive polling). Throws EnvironmentError on timeout
  // (negative: none) or when the service hangs up.
  Reply wait(uint64_t call_id, std::chrono::milliseconds timeout = std::chrono::milliseconds(-1));
  // Gives back a message that was never sent.
  void free_unsent(const Message& message) { send_allocator_.free(message.offset); }
  // Frees `extra` (another message of this application) together with `root`, when the service is
  // done with root: a request whose parts span several buffers (generated stubs) is one to the service.
  void free_with(uint64_t root, uint64_t extra) { tied_.emplace(root, extra); }
  // The shared heaps: messages' offsets are relative to these.
  std::span<uint8_t> send_heap() { return {memory_.send_heap.data(), memory_.send_heap.size()}; }
  std::span<const uint8_t> receive_heap() const { return {memory_.receive_heap.data(), memory_.receive_heap.size()}; }
  // allocate + copy + send + wait.
  Reply call(uint32_t method, std::span<const uint8_t> request);

  const Welcome& welcome() const { return memory_.shape; }
  uint64_t send_heap_free_bytes() const { return send_allocator_.free_bytes(); }

  // For tests of the service's defences only: post any descriptor as is, and reach the raw shared
  // memory (a hostile application can do both; the service must survive it).
  void post_unchecked(const Descriptor& descriptor);
  ConnectionMemory& memory_for_testing() { return memory_; }

 private:
  friend class Server;
  static std::unique_ptr<Client> open(const std::filesystem::path& socket, Options options, uint32_t hello_flags,
                                      const SchemaBinding& schema);
  void free_done(uint64_t offset);  // a buffer the service is done with, and what is tied to it
  Client(net::UnixControl control, ConnectionMemory memory, Options options);
  Reply take(const Descriptor& d);  // a received message (reply, or a request for a server)
  // Waits until `ready`; false on timeout. Throws EnvironmentError naming `what` on a hang-up.
  bool await(const std::function<bool()>& ready, std::chrono::milliseconds timeout, const std::string& what);
  // Waits for a free submission slot; rings the service's doorbell unless `wake` is false.
  void post(const Descriptor& descriptor, bool wake = true);
  void collect_completions();               // drains the completion queue, non-blocking
  void flush_releases();
  void release(uint64_t offset, uint64_t length);

  net::UnixControl control_;
  ConnectionMemory memory_;
  Options options_;
  net::HeapAllocator send_allocator_;
  net::QueueProducer submissions_;
  net::QueueConsumer completions_;
  net::Doorbell submission_bell_;
  net::Doorbell completion_bell_;
  std::unordered_map<uint64_t, Descriptor> arrived_;  // replies not yet waited for, by call id
  std::deque<Descriptor> incoming_;                    // requests for a server, not yet taken
  std::vector<net::QueueSlot> pending_releases_;
  uint64_t pending_release_bytes_ = 0;
  std::unordered_multimap<uint64_t, uint64_t> tied_;  // root send buffer → buffers freed with it
  uint64_t next_call_id_ = 1;
  net::AdaptiveSpin spin_{options_.spin};  // polls await()'s waits only while they are short
};

}  // namespace fixnet::rpc
