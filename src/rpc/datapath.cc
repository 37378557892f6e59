#include "rpc/datapath.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/error.h"
#include "net/system_error.h"
#include "rpc/frontend_engine.h"

namespace fixnet::rpc {

Datapath::Datapath(ConnectionMemory memory, int control_fd, std::shared_ptr<const EnginePlugin> transport,
                   const std::string& transport_config, bool serving, Marshalling marshalling)
    : memory_(std::move(memory)),
      schema_(marshalling.schema),
      parsed_schema_(std::move(marshalling.parsed)),
      control_fd_(control_fd),
      receive_allocator_(memory_.receive_heap.size()),
      submission_bell_(net::queue_sleep_flag(memory_.submission_region()),
                       std::move(memory_.submission_eventfd)),
      watch_epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      handed_peers_(serving ? std::make_unique<PeerInbox>() : nullptr) {
  if (!watch_epoll_) net::throw_system_error("epoll_create1", "a datapath");
  auto frontend = std::make_unique<FrontendEngine>(memory_, *this, serving);
  frontend_ = frontend.get();
  stages_.push_back(Stage{nullptr, std::move(frontend), "", Stage::Role::kFrontend});
  if (marshalling.engine) {
    auto marshal = marshalling.engine->create(*this, marshalling.config);
    stages_.push_back(Stage{std::move(marshalling.engine), std::move(marshal), marshalling.config, Stage::Role::kMarshal});
  }
  auto engine = transport->create(*this, transport_config);
  stages_.push_back(Stage{std::move(transport), std::move(engine), transport_config, Stage::Role::kTransport});
  requests_.resize(stages_.size() - 1);
  replies_.resize(stages_.size() - 1);
  relink();
}

void Datapath::relink() {
  const size_t n = stages_.size();
  ports_.assign(n, EnginePorts{});
  for (size_t i = 0; i < n; ++i) {
    EnginePorts& p = ports_[i];
    if (i > 0) p.requests_in = &requests_[i - 1], p.replies_out = &replies_[i - 1];
    if (i + 1 < n) p.requests_out = &requests_[i], p.replies_in = &replies_[i];
  }
}

void Datapath::insert_policy(std::shared_ptr<const EnginePlugin> plugin, const std::string& config) {
  // Placement: after the policies of its side, i.e. just before the marshalling engine (or, with
  // none, the transport) — or, for wire policies, just before the transport.
  size_t at = stages_.size() - 1;
  if (plugin->placement() == FIXNET_RPC_BEFORE_MARSHAL)
    for (size_t i = 1; i < stages_.size(); ++i)
      if (stages_[i].role == Stage::Role::kMarshal) at = i;
  if (plugin->placement() == FIXNET_RPC_AFTER_MARSHAL && !parsed_schema_)
    throw InputError("policy " + plugin->name() + " reads arguments through a schema; application " +
                     std::to_string(connection_id()) + " sends raw bytes without one");
  auto engine = plugin->create(*this, "");
  engine->configure(config);  // throws: nothing changed yet
  // The queue into position `at` becomes the new policy's input; it gets a fresh empty output. The
  // replies queue out of `at` goes through the new policy too.
  stages_.insert(stages_.begin() + at, Stage{std::move(plugin), std::move(engine), config, Stage::Role::kPolicy});
  requests_.insert(requests_.begin() + at, MessageQueue{});
  replies_.insert(replies_.begin() + (at - 1), MessageQueue{});
  relink();
}

size_t Datapath::find(std::string_view name, bool any) const {
  std::string chain;
  for (size_t i = 0; i < stages_.size(); ++i) {
    const Stage& s = stages_[i];
    chain += (i ? " → " : "") + std::string(s.engine->name());
    if (s.role == Stage::Role::kFrontend || (!any && s.role != Stage::Role::kPolicy)) continue;
    if (s.engine->name() == name) return i;
  }
  throw InputError("application " + std::to_string(connection_id()) + " has no " +
                   (any ? "engine" : "policy") + " named '" + one_line(name) + "' (its chain: " + chain + ")");
}

void Datapath::remove(size_t position) {
  if (position == 0 || position + 1 >= stages_.size() || stages_[position].role != Stage::Role::kPolicy)
    throw InputError("only policies can be detached");
  stages_[position].engine->give_back(ports_[position]);
  // What the policy already passed on went first; what waited for it follows.
  MessageQueue& out = requests_[position];
  for (auto& m : requests_[position - 1]) out.push_back(std::move(m));
  MessageQueue& back = replies_[position - 1];
  for (auto& m : replies_[position]) back.push_back(std::move(m));
  requests_[position - 1] = std::move(out);
  requests_.erase(requests_.begin() + position);
  replies_.erase(replies_.begin() + position);
  stages_.erase(stages_.begin() + position);  // the engine goes before its plugin (member order)
  relink();
}

void Datapath::upgrade(size_t position, std::shared_ptr<const EnginePlugin> plugin) {
  Stage& stage = stages_.at(position);
  if (stage.role == Stage::Role::kFrontend) throw InputError("the frontend engine is part of the service");
  std::unique_ptr<Engine> fresh = plugin->create(*this, stage.role == Stage::Role::kPolicy ? "" : stage.config);
  if (stage.role == Stage::Role::kPolicy) fresh->configure(stage.config);
  fresh->restore(stage.engine->decompose());
  // From here nothing throws: the old engine hands back what it holds and goes.
  stage.engine->give_back(ports_[position]);
  stage.engine = std::move(fresh);
  stage.plugin = std::move(plugin);
}

void Datapath::configure(size_t position, const std::string& config) {
  Stage& stage = stages_.at(position);
  if (stage.role != Stage::Role::kPolicy) throw InputError("only policies take a new configuration");
  stage.engine->configure(config);
  stage.config = config;
}

std::vector<EngineInfo> Datapath::describe() const {
  std::vector<EngineInfo> chain;
  for (const Stage& s : stages_) {
    EngineInfo info{s.engine->name(), s.plugin ? s.plugin->origin() : "built in", s.config, {}};
    if (s.role == Stage::Role::kMarshal) info.config = "";  // a cache path, not the operator's business
    s.engine->report(info.report);
    chain.push_back(std::move(info));
  }
  return chain;
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
