// rpc::Server: an application that answers remote callers through the local RPC service
// (docs/rpc.md, "Serving"). The service must listen on TCP (fixnetd --listen); requests that peer
// services send there are delivered to a bound Server.
//
//   auto server = rpc::Server::bind("/run/fixnet/rpc.sock");
//   while (auto request = server->next_request()) {      // bytes in the read-only receive heap
//     server->reply(request->call_id(), answer(request->method(), request->bytes()));
//   }                                                     // the request buffer goes back with `request`
//
// A Server is a Client connection in the serving role (same shared memory, queues and failures);
// one thread uses it at a time. Several Servers may bind to one service: peer connections spread
// among them.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "rpc/client.h"

namespace fixnet::rpc {

class Server {
 public:
  using Request = Client::Reply;  // call_id(), method(), bytes(); released when destroyed

  // Throws InputError when the service refuses (e.g. it listens on no TCP address).
  static std::unique_ptr<Server> bind(const std::filesystem::path& socket, Client::Options options = {});
  // Serving `schema` (generated skeletons): requests arrive and replies leave in its heap layout.
  static std::unique_ptr<Server> bind(const std::filesystem::path& socket, const SchemaBinding& schema,
                                      Client::Options options = {});

  // The next request; waits up to `timeout` (negative: forever) and returns nullopt when it passed.
  // Throws EnvironmentError when the service hangs up.
  std::optional<Request> next_request(std::chrono::milliseconds timeout = std::chrono::milliseconds(-1));
  // Answers `call_id` with `bytes`: copied into the send heap, sent to the caller from there.
  void reply(uint64_t call_id, std::span<const uint8_t> bytes);
  // The same for a message already built in the send heap (allocate()); no copy at all.
  void reply(uint64_t call_id, const Client::Message& message, uint64_t length);
  // Fails `call_id` with an application status (64…127, descriptor.h) instead of a reply; the caller
  // sees the status and `message` (at most kMaxFailMessage bytes are sent). Throws InputError for a
  // status outside that range.
  void fail(uint64_t call_id, Status status, std::string_view message = {});
  static constexpr size_t kMaxFailMessage = 256;
  Client::Message allocate(uint64_t size) { return client_->allocate(size); }

  Client& connection() { return *client_; }

 private:
  explicit Server(std::unique_ptr<Client> client) : client_(std::move(client)) {}
  void post_reply(uint64_t call_id, Status status, const Client::Message& message, uint64_t length);
  std::unique_ptr<Client> client_;
};

}  // namespace fixnet::rpc
