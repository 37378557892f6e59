#include "rpc/frontend_engine.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/error.h"

namespace fixnet::rpc {

namespace {

constexpr uint32_t kStateVersion = 1;

}  // namespace

FrontendEngine::FrontendEngine(ConnectionMemory& memory, DatapathContext& context, bool serving)
    : context_(context),
      limits_{memory.send_heap.size(), memory.receive_heap.size(), memory.shape.max_message_bytes, serving},
      slots_(memory.shape.queue_slots),
      submissions_(memory.submission_region(), slots_),
      completions_(memory.completion_region(), slots_),
      completion_bell_(completions_.sleep_flag(), std::move(memory.completion_eventfd)) {}

size_t FrontendEngine::do_work(EnginePorts& ports) {
  size_t work = 0;
  for (; !ports.replies_in->empty(); ++work) {
    const RpcMessage& m = ports.replies_in->front();
    Descriptor d;
    d.kind = m.kind;
    d.status = m.status;
    d.method = m.method;
    d.call_id = m.call_id;
    d.offset = m.offset;
    d.length = m.length;
    d.done_offset = m.done_offset;
    if (m.offset != kNoOffset) handed_out_.insert(m.offset);
    pending_.push_back(to_slot(d));
    // Only answers to what the application posted end its in-flight; a remote caller's request
    // (serving) was never counted.
    if (m.kind == Kind::kReply && in_flight_ > 0) --in_flight_;
    ports.replies_in->pop_front();
  }
  work += flush_completions();
  // Take a descriptor only if its reply is sure of a completion slot: an application that does not
  // drain its completion queue stalls itself, and the service never buffers without bound.
  const size_t room = slots_ - std::min<size_t>(slots_, in_flight_ + pending_.size());
  net::QueueSlot taken[kBudget];
  const size_t n = submissions_.pop(std::span(taken, std::min(room, kBudget)));
  for (size_t i = 0; i < n; ++i) take(from_slot(taken[i]), ports);  // a private copy from here on
  work += n;
  if (n > 0) work += flush_completions();
  return work;
}

void FrontendEngine::take(const Descriptor& d, EnginePorts& ports) {
  const Status status = validate_descriptor(d, limits_);
  if (d.kind == Kind::kRelease && status == Status::kOk) {
    if (handed_out_.erase(d.offset) == 1) {
      context_.free_reply(d.offset);
    } else {
      ++counters_.bad_releases;
    }
    return;
  }
  if (d.kind == Kind::kRelease) {
    ++counters_.bad_releases;
    return;
  }
  if (status != Status::kOk) return reply_error(d, status);
  ++counters_.requests;
  ++in_flight_;
  // A serving application's Reply may fail the call with an application status (validated above).
  ports.requests_out->push_back(RpcMessage{d.call_id, d.method, d.status, d.offset, d.length, kNoOffset, d.kind, nullptr});
}

void FrontendEngine::reply_error(const Descriptor& d, Status status) {
  ++counters_.rejected;
  Descriptor reply;
  reply.kind = Kind::kReply;
  reply.status = status;
  reply.method = d.method;
  reply.call_id = d.call_id;
  reply.offset = kNoOffset;
  // Hand back what the application claimed to send; its allocator refuses offsets it never gave out.
  reply.done_offset = d.kind == Kind::kRequest || d.kind == Kind::kReply ? d.offset : kNoOffset;
  pending_.push_back(to_slot(reply));
}

size_t FrontendEngine::flush_completions() {
  size_t posted = 0;
  bool awaited = false;
  while (!pending_.empty()) {
    net::QueueSlot batch[kBudget];
    const size_t n = std::min(pending_.size(), kBudget);
    std::copy_n(pending_.begin(), n, batch);
    const size_t pushed = completions_.push(std::span(batch, n));
    for (size_t i = 0; i < pushed; ++i) awaited = awaited || is_awaited(from_slot(batch[i]));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(pushed));
    posted += pushed;
    if (pushed < n) break;
  }
  if (posted > 0) counters_.replies += posted;
  // Only what an application waits for is worth a wake-up: a send buffer handed back alone (call id 0,
  // after a serving application's reply went out) is collected with its next request or reply.
  if (awaited) completion_bell_.ring();
  return posted;
}

bool FrontendEngine::is_awaited(const Descriptor& d) { return d.kind == Kind::kRequest || d.call_id != 0; }

// State v1: in_flight, the counters, then the handed-out receive offsets (all u64, host order).
EngineState FrontendEngine::decompose() {
  std::vector<uint64_t> words{in_flight_, counters_.requests, counters_.replies, counters_.rejected,
                              counters_.bad_releases};
  words.insert(words.end(), handed_out_.begin(), handed_out_.end());
  EngineState state{kStateVersion, std::vector<uint8_t>(words.size() * 8)};
  std::memcpy(state.bytes.data(), words.data(), state.bytes.size());
  return state;
}

void FrontendEngine::restore(const EngineState& state) {
  if (state.version != kStateVersion || state.bytes.size() % 8 != 0 || state.bytes.size() < 40)
    throw InputError("frontend engine cannot restore state version " + std::to_string(state.version) + " of " +
                     std::to_string(state.bytes.size()) + " bytes (it reads version 1)");
  std::vector<uint64_t> words(state.bytes.size() / 8);
  std::memcpy(words.data(), state.bytes.data(), state.bytes.size());
  in_flight_ = words[0];
  counters_ = {words[1], words[2], words[3], words[4]};
  handed_out_ = std::unordered_set<uint64_t>(words.begin() + 5, words.end());
}

}  // namespace fixnet::rpc
