#include "rpc/client.h"

#include <sys/socket.h>

#include <cstring>
#include <thread>

#include "core/error.h"

namespace fixnet::rpc {

namespace {

constexpr size_t kPopBatch = 32;

}  // namespace

std::unique_ptr<Client> Client::connect(const std::filesystem::path& socket, Options options) {
  return open(socket, options, 0, {});
}

std::unique_ptr<Client> Client::connect(const std::filesystem::path& socket, const SchemaBinding& schema,
                                        Options options) {
  return open(socket, options, 0, schema);
}

std::unique_ptr<Client> Client::open(const std::filesystem::path& socket, Options options, uint32_t hello_flags,
                                     const SchemaBinding& schema) {
  auto control = net::UnixControl::connect(socket);
  control.send(encode(Hello{hello_flags, schema.hash, std::string(schema.canonical), std::string(schema.service)}));
  auto answer = control.receive(kMaxControlBytes, kWelcomeFds);
  if (!answer) throw EnvironmentError("the RPC service at " + socket.string() + " closed the connection");
  auto reply = decode_reply(answer->bytes);
  if (auto* refusal = std::get_if<Refusal>(&reply))
    throw InputError("the RPC service at " + socket.string() + " refused the connection: " + one_line(refusal->text, 200));
  const Welcome& welcome = std::get<Welcome>(reply);
  auto memory = ConnectionMemory::attach(welcome, std::move(answer->fds));
  return std::unique_ptr<Client>(new Client(std::move(control), std::move(memory), options));
}

Client::Client(net::UnixControl control, ConnectionMemory memory, Options options)
    : control_(std::move(control)),
      memory_(std::move(memory)),
      options_(options),
      send_allocator_(memory_.shape.send_heap_bytes),
      submissions_(memory_.submission_region(), memory_.shape.queue_slots),
      completions_(memory_.completion_region(), memory_.shape.queue_slots),
      submission_bell_(submissions_.sleep_flag(), std::move(memory_.submission_eventfd)),
      completion_bell_(completions_.sleep_flag(), std::move(memory_.completion_eventfd)) {}

Client::~Client() = default;

Client::Message Client::allocate(uint64_t size) {
  auto offset = send_allocator_.allocate(size);
  if (!offset) {
    collect_completions();
    offset = send_allocator_.allocate(size);
  }
  if (!offset)
    throw EnvironmentError("RPC send heap full: no " + std::to_string(size) + " bytes among " +
                           std::to_string(send_allocator_.free_bytes()) + " free; wait for outstanding calls");
  return Message{*offset, std::span<uint8_t>(memory_.send_heap.data() + *offset, size)};
}

uint64_t Client::send(uint32_t method, const Message& message, uint64_t length) {
  if (length > message.bytes.size())
    throw InputError("request length " + std::to_string(length) + " exceeds its message's " +
                     std::to_string(message.bytes.size()) + " bytes");
  Descriptor d;
  d.kind = Kind::kRequest;
  d.method = method;
  d.call_id = next_call_id_++;
  d.offset = message.offset;
  d.length = length;
  flush_releases();
  post(d);
  return d.call_id;
}

void Client::post_unchecked(const Descriptor& descriptor) { post(descriptor); }

void Client::post(const Descriptor& descriptor, bool wake) {
  const net::QueueSlot slot = to_slot(descriptor);
  while (submissions_.push({&slot, 1}) == 0) {
    if (submissions_.corrupt()) throw EnvironmentError("RPC submission queue corrupt; connection unusable");
    // The service takes requests only while their replies have room: make room, then let it run
    // (waking it: what fills the queue may be releases posted without a wake-up).
    collect_completions();
    submission_bell_.ring();
    std::this_thread::yield();
  }
  if (wake) submission_bell_.ring();
}

void Client::collect_completions() {
  net::QueueSlot slots[kPopBatch];
  for (size_t n; (n = completions_.pop(slots)) > 0;) {
    for (size_t i = 0; i < n; ++i) {
      const Descriptor d = from_slot(slots[i]);
      if (d.done_offset != kNoOffset) free_done(d.done_offset);
      if (d.kind == Kind::kReply && d.call_id != 0) arrived_[d.call_id] = d;
      if (d.kind == Kind::kRequest) incoming_.push_back(d);
    }
  }
}

void Client::free_done(uint64_t offset) {
  send_allocator_.free(offset);  // unknown offsets are refused
  if (tied_.empty()) return;
  auto [begin, end] = tied_.equal_range(offset);
  for (auto it = begin; it != end; ++it) send_allocator_.free(it->second);
  tied_.erase(begin, end);
}

bool Client::await(const std::function<bool()>& ready, std::chrono::milliseconds timeout, const std::string& what) {
  if (ready()) return true;
  // Releases wait in a batch; post them before blocking, so the service has them with its next work.
  flush_releases();
  const auto start = std::chrono::steady_clock::now();
  const auto woke = completion_bell_.wait(ready, spin_.next(), timeout, control_.fd());
  spin_.waited(std::chrono::steady_clock::now() - start);
  if (woke == net::Doorbell::Wake::kOtherFd && !ready())
    throw EnvironmentError("the RPC service closed the connection while waiting for " + what);
  return woke != net::Doorbell::Wake::kTimeout;
}

Client::Reply Client::wait(uint64_t call_id, std::chrono::milliseconds timeout) {
  const std::string what = "the reply to call " + std::to_string(call_id);
  if (!await([&] {
        collect_completions();
        return arrived_.count(call_id) > 0;
      }, timeout, what))
    throw EnvironmentError("no " + what + " within " + std::to_string(timeout.count()) + " ms");
  auto it = arrived_.find(call_id);
  const Descriptor d = it->second;
  arrived_.erase(it);
  return take(d);
}

Client::Reply Client::take(const Descriptor& d) {
  Reply reply;
  reply.client_ = this;
  reply.call_id_ = d.call_id;
  reply.method_ = d.method;
  reply.status_ = d.status;
  // The service is trusted, but a reply outside the receive heap would still be a bug to contain.
  const uint64_t heap = memory_.receive_heap.size();
  // A failed call may carry a message too (a serving application's reason): kept and released alike.
  const bool has_bytes = d.status == Status::kOk || (d.offset != kNoOffset && d.length != 0);
  if (has_bytes && d.offset <= heap && d.length <= heap - d.offset) {
    reply.offset_ = d.offset;
    reply.bytes_ = std::span<const uint8_t>(memory_.receive_heap.data() + d.offset, d.length);
  } else if (d.status == Status::kOk) {
    reply.status_ = Status::kTransportError;
  }
  return reply;
}

Client::Reply Client::call(uint32_t method, std::span<const uint8_t> request) {
  Message m = allocate(request.size());
  if (!request.empty()) std::memcpy(m.bytes.data(), request.data(), request.size());
  return wait(send(method, m, request.size()));
}

void Client::release(uint64_t offset, uint64_t length) {
  Descriptor d;
  d.kind = Kind::kRelease;
  d.offset = offset;
  pending_releases_.push_back(to_slot(d));
  pending_release_bytes_ += length;
  // Large replies go back at once: a batch of them could hold the receive heap full.
  if (pending_releases_.size() >= options_.release_batch || pending_release_bytes_ >= memory_.receive_heap.size() / 8)
    flush_releases();
}

// Releases wake no one: the service takes them with the next request it is woken for (before it, in
// queue order), and nothing in the service waits for one — a full receive heap answers status 5 at
// once. A wake-up per release would cost a sleeping service a wake-up per call.
void Client::flush_releases() {
  for (const auto& slot : pending_releases_) post(from_slot(slot), false);
  pending_releases_.clear();
  pending_release_bytes_ = 0;
}

Client::Reply::Reply(Reply&& other) noexcept
    : client_(std::exchange(other.client_, nullptr)),
      call_id_(other.call_id_),
      method_(other.method_),
      status_(other.status_),
      offset_(std::exchange(other.offset_, kNoOffset)),
      bytes_(other.bytes_) {}

Client::Reply& Client::Reply::operator=(Reply&& other) noexcept {
  if (this != &other) {
    release();
    client_ = std::exchange(other.client_, nullptr);
    call_id_ = other.call_id_;
    method_ = other.method_;
    status_ = other.status_;
    offset_ = std::exchange(other.offset_, kNoOffset);
    bytes_ = other.bytes_;
  }
  return *this;
}

void Client::Reply::release() {
  try {
    if (client_ != nullptr && offset_ != kNoOffset) client_->release(offset_, bytes_.size());
  } catch (const Error&) {
    // The connection is broken; the service reclaims everything of a broken connection anyway.
  }
  offset_ = kNoOffset;
  bytes_ = {};
}

}  // namespace fixnet::rpc
