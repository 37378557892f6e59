#include "rpc/datapath.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include "net/system_error.h"
#include "rpc/frontend_engine.h"

namespace fixnet::rpc {

Datapath::Datapath(ConnectionMemory memory, int control_fd, std::shared_ptr<const EnginePlugin> transport,
                   const std::string& transport_config, bool serving, Marshalling marshalling)
    : memory_(std::move(memory)),
      schema_(marshalling.schema),
      control_fd_(control_fd),
      receive_allocator_(memory_.receive_heap.size()),
      submission_bell_(net::queue_sleep_flag(memory_.submission_region()),
                       std::move(memory_.submission_eventfd)),
      watch_epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (!watch_epoll_) net::throw_system_error("epoll_create1", "a datapath");
  auto frontend = std::make_unique<FrontendEngine>(memory_, *this, serving);
  frontend_ = frontend.get();
  stages_.push_back(Stage{nullptr, std::move(frontend)});
  if (marshalling.engine) {
    auto marshal = marshalling.engine->create(*this, marshalling.config);
    stages_.push_back(Stage{std::move(marshalling.engine), std::move(marshal)});
  }
  auto engine = transport->create(*this, transport_config);
  stages_.push_back(Stage{std::move(transport), std::move(engine)});
  const size_t n = stages_.size();
  requests_.resize(n - 1);
  replies_.resize(n - 1);
  for (size_t i = 0; i < n; ++i) {
    EnginePorts p;
    if (i > 0) p.requests_in = &requests_[i - 1], p.replies_out = &replies_[i - 1];
    if (i + 1 < n) p.requests_out = &requests_[i], p.replies_in = &replies_[i];
    ports_.push_back(p);
  }
}

Datapath::~Datapath() = default;

size_t Datapath::do_work() {
  size_t work = 0;
  for (size_t i = 0; i < stages_.size(); ++i) work += stages_[i].engine->do_work(ports_[i]);
  // Replies travel against the order of the pass (transport → frontend): carry what the pass left
  // on the way back now, rather than one more pass per engine — a pass costs the transport's socket
  // reads, and a reply through a marshalling engine would otherwise wait two.
  for (size_t i = stages_.size() - 1; i-- > 0;)
    if (!replies_[i].empty()) work += stages_[i].engine->do_work(ports_[i]);
  if (frontend_->broken() && !shut_down_) {
    ::shutdown(control_fd_, SHUT_RDWR);
    shut_down_ = true;
  }
  return work;
}

bool Datapath::has_input() {
  for (const auto& q : requests_)
    if (!q.empty()) return true;
  for (const auto& q : replies_)
    if (!q.empty()) return true;
  return frontend_->has_input();
}

bool Datapath::has_pending_work() const {
  for (const auto& stage : stages_)
    if (stage.engine->has_pending_work()) return true;
  return false;
}

std::span<const uint8_t> Datapath::request_bytes(uint64_t offset, uint64_t length) {
  // The frontend validated the range against this heap's size; this is the one place it turns into
  // an address.
  return {memory_.send_heap.data() + offset, length};
}

std::span<const uint8_t> Datapath::reply_bytes(uint64_t offset, uint64_t length) {
  // Engines ask only for buffers they allocated; a wrong range is a bug in the service, so contain it.
  if (offset > memory_.receive_heap.size() || length > memory_.receive_heap.size() - offset) return {};
  return {memory_.receive_heap.data() + offset, length};
}

std::optional<ReplyBuffer> Datapath::allocate_reply(uint64_t length) {
  auto offset = receive_allocator_.allocate(length);
  if (!offset) return std::nullopt;
  return ReplyBuffer{*offset, {memory_.receive_heap.data() + *offset, length}};
}

void Datapath::free_reply(uint64_t offset) { receive_allocator_.free(offset); }

void Datapath::watch(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  if (events == 0) {
    ::epoll_ctl(watch_epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    return;
  }
  if (::epoll_ctl(watch_epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0 &&
      ::epoll_ctl(watch_epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
    net::throw_system_error("epoll_ctl", "an engine's socket");
}

}  // namespace fixnet::rpc
