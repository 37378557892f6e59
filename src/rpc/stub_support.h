// What the code protoc-gen-fixnet generates stands on (docs/rpc.md, "Generated API"): views of
// messages in a shared heap (schema_layout.h gives the layout), an arena that builds a message in
// the send heap, typed replies and pending calls. Applications use the generated types; they
// rarely name these directly.
//
//   auto client = fixnet::examples::echo::EchoClient::connect("/run/fixnet/rpc.sock");
//   auto request = client.make<EchoRequest>();        // in the send heap
//   request->set_data(bytes);                         // copied once, into the send heap
//   auto reply = client.Call(std::move(request));     // sync; CallAsync returns a Pending
//   if (reply.ok()) use(reply->data());               // a view into the read-only receive heap
//
// Ownership: a Message<T> owns its buffers until it is sent; then the service does, until it says it
// is done (the Client frees them). A Result<T> holds its reply's buffer until it is destroyed.
// Reading a view checks every offset and length against its heap (throws InputError): the service is
// trusted, but a view is never an out-of-bounds read. Not thread-safe (one thread per Client).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "rpc/client.h"
#include "rpc/server.h"

namespace fixnet::rpc::stub {

// Thrown by a service method (the generated skeleton's virtual methods) to fail the call instead of
// answering it: the caller's Result has `status` (an application status, 64…127: descriptor.h) and
// `message()` the text (at most Server::kMaxFailMessage bytes). Any other exception a method throws
// fails the call with Status::kInternal and its what(); the skeleton goes on serving.
class StatusError : public std::runtime_error {
 public:
  StatusError(Status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  Status status() const { return status_; }

 private:
  Status status_;
};

// Bump allocation in the send heap for one message: chunks from the Client's allocator; the first
// chunk starts with the message's root struct. All chunks go back together.
class Arena {
 public:
  Arena(Client& client, uint64_t root_bytes, uint64_t chunk_bytes = 1024) : client_(&client), chunk_bytes_(chunk_bytes) {
    add_chunk(std::max(root_bytes, chunk_bytes));
  }
  ~Arena() {
    if (client_ == nullptr) return;
    for (const auto& c : chunks_) client_->free_unsent(c);
  }
  Arena(Arena&& other) noexcept
      : client_(std::exchange(other.client_, nullptr)), chunks_(std::move(other.chunks_)), used_(other.used_),
        chunk_bytes_(other.chunk_bytes_) {}
  Arena& operator=(Arena&&) = delete;
  Arena(const Arena&) = delete;

  // `bytes` zeroed bytes, 8-aligned; returns their heap offset.
  uint64_t allocate(uint64_t bytes) {
    bytes = (bytes + 7) & ~uint64_t{7};
    if (chunks_.back().bytes.size() - used_ < bytes) add_chunk(std::max(bytes, chunk_bytes_ *= 2));
    const uint64_t offset = chunks_.back().offset + used_;
    std::memset(chunks_.back().bytes.data() + used_, 0, bytes);
    used_ += bytes;
    return offset;
  }
  uint8_t* heap() { return client_->send_heap().data(); }
  uint64_t heap_size() { return client_->send_heap().size(); }
  Client& client() { return *client_; }
  const Client::Message& root() const { return chunks_.front(); }
  // The service owns the buffers now: they are freed when it is done with the root.
  void sent() {
    for (size_t i = 1; i < chunks_.size(); ++i) client_->free_with(chunks_[0].offset, chunks_[i].offset);
    client_ = nullptr;
  }

 private:
  void add_chunk(uint64_t bytes) {
    chunks_.push_back(client_->allocate(bytes));
    used_ = 0;
  }
  Client* client_;
  std::vector<Client::Message> chunks_;
  uint64_t used_ = 0;
  uint64_t chunk_bytes_;
};

// A message in a heap: the base of generated message classes. Reads are bounds-checked; writes need
// an arena (a message being built) and throw InputError on a read-only view.
class View {
 public:
  View() = default;
  View(const uint8_t* heap, uint64_t heap_size, uint64_t offset, Arena* arena, uint64_t bytes)
      : heap_(const_cast<uint8_t*>(heap)), heap_size_(heap_size), offset_(offset), arena_(arena) {
    range(offset, bytes, 1);
  }
  uint64_t offset() const { return offset_; }

 protected:
  struct Ref {
    uint64_t offset, length;
  };
  // The heap address of [offset, offset + count × size), checked.
  uint8_t* range(uint64_t offset, uint64_t count, uint64_t size) const {
    if (size != 0 && count > heap_size_ / size) throw InputError("message field length beyond its heap");
    const uint64_t bytes = count * size;
    if (offset > heap_size_ || bytes > heap_size_ - offset)
      throw InputError("message field at offset " + std::to_string(offset) + " is outside its heap");
    return heap_ + offset;
  }
  template <class T>
  T scalar(uint64_t slot) const {
    T v;
    std::memcpy(&v, heap_ + offset_ + slot, sizeof v);
    return v;
  }
  template <class T>
  void set_scalar(uint64_t slot, T v) {
    writable();
    std::memcpy(heap_ + offset_ + slot, &v, sizeof v);
  }
  Ref ref(uint64_t slot) const { return ref_at(offset_ + slot); }
  // The {offset, length} pair at heap offset `at` (an element of a repeated string/bytes field).
  Ref ref_at(uint64_t at) const {
    uint64_t r[2];
    std::memcpy(r, range(at, 16, 1), 16);
    return {r[0], r[1]};
  }
  std::span<const uint8_t> bytes_at(uint64_t at) const {
    const Ref r = ref_at(at);
    if (r.length == 0) return {};
    return {range(r.offset, r.length, 1), r.length};
  }
  void set_bytes_at(uint64_t at, const void* data, uint64_t length) {
    writable();
    const uint64_t to = length == 0 ? 0 : arena_->allocate(length);
    if (length != 0) std::memcpy(heap_ + to, data, length);
    const uint64_t r[2] = {to, length};
    std::memcpy(range(at, 16, 1), r, 16);
  }
  void set_ref(uint64_t slot, Ref r) {
    set_scalar<uint64_t>(slot, r.offset);
    set_scalar<uint64_t>(slot + 8, r.length);
  }
  std::span<const uint8_t> bytes(uint64_t slot) const {
    const Ref r = ref(slot);
    if (r.length == 0) return {};
    return {range(r.offset, r.length, 1), r.length};
  }
  std::string_view text(uint64_t slot) const {
    auto b = bytes(slot);
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }
  // Room for `length` bytes, referenced from `slot`; the caller fills it.
  std::span<uint8_t> mutable_bytes(uint64_t slot, uint64_t length) {
    writable();
    const uint64_t at = length == 0 ? 0 : arena_->allocate(length);
    set_ref(slot, {at, length});
    return {heap_ + at, length};
  }
  void set_bytes(uint64_t slot, const void* data, uint64_t length) {
    auto room = mutable_bytes(slot, length);
    if (length != 0) std::memcpy(room.data(), data, length);
  }
  // A repeated field's elements (count × size bytes), checked.
  template <class T>
  std::span<const T> array(uint64_t slot) const {
    const Ref r = ref(slot);
    if (r.length == 0) return {};
    uint8_t* at = range(r.offset, r.length, sizeof(T));
    if (reinterpret_cast<uintptr_t>(at) % alignof(T) != 0) throw InputError("repeated field is misaligned");
    return {reinterpret_cast<const T*>(at), r.length};
  }
  // Allocates `count` zeroed elements of `size` bytes for a repeated field (or one sub-message).
  uint64_t allocate_elements(uint64_t slot, uint64_t count, uint64_t size, bool message_slot = false) {
    writable();
    const uint64_t at = count == 0 ? 0 : arena_->allocate(count * size);
    set_ref(slot, {at, message_slot ? size : count});
    return at;
  }
  // Element i of a repeated field of `size`-byte elements, checked.
  uint64_t element(uint64_t slot, uint64_t i, uint64_t size) const {
    const Ref r = ref(slot);
    if (i >= r.length) throw InputError("repeated field index " + std::to_string(i) + " out of range");
    range(r.offset, r.length, size);
    return r.offset + i * size;
  }
  void writable() const {
    if (arena_ == nullptr) throw InputError("this message is read-only (a received message)");
  }

  uint8_t* heap_ = nullptr;
  uint64_t heap_size_ = 0;
  uint64_t offset_ = 0;
  Arena* arena_ = nullptr;
};

// A read-only view of an absent sub-message: all defaults.
template <class T>
T absent() {
  static const std::vector<uint8_t> zeros(T::kLayoutBytes);
  return T(zeros.data(), zeros.size(), 0, nullptr);
}

// A message being built in the send heap. The root struct is the arena's first allocation.
template <class T>
class Message {
 public:
  explicit Message(Client& client) : arena_(std::make_unique<Arena>(client, T::kLayoutBytes)) {
    const uint64_t at = arena_->allocate(T::kLayoutBytes);
    root_ = T(arena_->heap(), arena_->heap_size(), at, arena_.get());
  }
  T* operator->() { return &root_; }
  T& operator*() { return root_; }
  // Posts it as a request for `method`; the service owns the buffers from here on.
  uint64_t send(uint32_t method) {
    const uint64_t id = arena_->client().send(method, arena_->root(), T::kLayoutBytes);
    arena_->sent();
    return id;
  }
  // Posts it as the reply to a request.
  void reply(Server& server, uint64_t call_id) {
    server.reply(call_id, arena_->root(), T::kLayoutBytes);
    arena_->sent();
  }

 private:
  std::unique_ptr<Arena> arena_;  // stable address: views point to it
  T root_;
};

// A received message: the reply (or request) buffer, alive as long as this is.
template <class T>
class Result {
 public:
  explicit Result(Client::Reply reply, std::span<const uint8_t> heap) : reply_(std::move(reply)) {
    if (!reply_.ok()) return;
    if (reply_.bytes().size() != T::kLayoutBytes)
      throw InputError("received message of " + std::to_string(reply_.bytes().size()) + " bytes; its type has " +
                       std::to_string(T::kLayoutBytes));
    view_ = T(heap.data(), heap.size(), static_cast<uint64_t>(reply_.bytes().data() - heap.data()), nullptr);
  }
  bool ok() const { return reply_.ok(); }
  Status status() const { return reply_.status(); }
  // A failed call's message from the serving application (StatusError), else empty.
  std::string_view message() const {
    if (reply_.ok()) return {};
    return {reinterpret_cast<const char*>(reply_.bytes().data()), reply_.bytes().size()};
  }
  uint64_t call_id() const { return reply_.call_id(); }
  const T* operator->() const { return &checked(); }
  const T& operator*() const { return checked(); }

 private:
  const T& checked() const {
    if (!reply_.ok()) {
      std::string why = std::string("the call failed: ") + std::string(status_text(reply_.status()));
      if (!message().empty()) why += ": " + std::string(message());
      throw EnvironmentError(why);
    }
    return view_;
  }
  Client::Reply reply_;
  T view_;
};

// Runs a service method for one request and answers: its reply, or the status it failed with
// (StatusError), or kInternal when it threw anything else — the server keeps serving either way.
template <class Request, class Reply, class Method>
void answer(Server& server, Server::Request&& request, Method&& method) {
  const uint64_t call_id = request.call_id();
  try {
    Result<Request> in(std::move(request), server.connection().receive_heap());
    Message<Reply> out(server.connection());
    method(*in, *out);
    out.reply(server, call_id);
    return;
  } catch (const StatusError& e) {
    if (is_application_status(e.status())) return server.fail(call_id, e.status(), e.what());
    server.fail(call_id, Status::kInternal,
                "the handler failed with status " + std::to_string(static_cast<unsigned>(e.status())) +
                    ", not an application status (64…127): " + e.what());
  } catch (const std::exception& e) {
    server.fail(call_id, Status::kInternal, e.what());
  }
}

// A call in flight (async); get() waits for its reply.
template <class T>
class Pending {
 public:
  Pending(Client& client, uint64_t call_id) : client_(&client), call_id_(call_id) {}
  uint64_t call_id() const { return call_id_; }
  Result<T> get(std::chrono::milliseconds timeout = std::chrono::milliseconds(-1)) {
    return Result<T>(client_->wait(call_id_, timeout), client_->receive_heap());
  }

 private:
  Client* client_;
  uint64_t call_id_;
};

}  // namespace fixnet::rpc::stub
