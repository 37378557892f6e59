#include "rpc/server.h"

#include <cstring>

#include "core/error.h"
#include "rpc/control_protocol.h"

namespace fixnet::rpc {

std::unique_ptr<Server> Server::bind(const std::filesystem::path& socket, Client::Options options) {
  return std::unique_ptr<Server>(new Server(Client::open(socket, options, kHelloServe, {})));
}

std::unique_ptr<Server> Server::bind(const std::filesystem::path& socket, const SchemaBinding& schema,
                                     Client::Options options) {
  return std::unique_ptr<Server>(new Server(Client::open(socket, options, kHelloServe, schema)));
}

std::optional<Server::Request> Server::next_request(std::chrono::milliseconds timeout) {
  Client& c = *client_;
  const bool ready = c.await([&] {
    c.collect_completions();
    return !c.incoming_.empty();
  }, timeout, "a request");
  if (!ready) return std::nullopt;
  const Descriptor d = c.incoming_.front();
  c.incoming_.pop_front();
  return c.take(d);
}

void Server::reply(uint64_t call_id, std::span<const uint8_t> bytes) {
  Client::Message m = client_->allocate(bytes.size());
  if (!bytes.empty()) std::memcpy(m.bytes.data(), bytes.data(), bytes.size());
  reply(call_id, m, bytes.size());
}

void Server::fail(uint64_t call_id, Status status, std::string_view message) {
  if (!is_application_status(status))
    throw InputError("status " + std::to_string(static_cast<unsigned>(status)) +
                     " is not an application status; fail a call with one of 64…127 (rpc/descriptor.h)");
  message = message.substr(0, kMaxFailMessage);
  Client::Message m = client_->allocate(message.size());
  if (!message.empty()) std::memcpy(m.bytes.data(), message.data(), message.size());
  post_reply(call_id, status, m, message.size());
}

void Server::reply(uint64_t call_id, const Client::Message& message, uint64_t length) {
  post_reply(call_id, Status::kOk, message, length);
}

void Server::post_reply(uint64_t call_id, Status status, const Client::Message& message, uint64_t length) {
  if (length > message.bytes.size())
    throw InputError("reply length " + std::to_string(length) + " exceeds its message's " +
                     std::to_string(message.bytes.size()) + " bytes");
  Descriptor d;
  d.kind = Kind::kReply;
  d.status = status;
  d.call_id = call_id;
  d.offset = message.offset;
  d.length = length;
  client_->flush_releases();
  client_->post(d);
}

}  // namespace fixnet::rpc
