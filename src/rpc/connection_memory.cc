#include "rpc/connection_memory.h"

#include <string>

#include "core/error.h"
#include "net/doorbell.h"

namespace fixnet::rpc {

namespace {

size_t queue_bytes(const Welcome& shape) { return 2 * net::queue_region_bytes(shape.queue_slots); }

std::string memfd_name(const Welcome& shape, const char* what) {
  return "fixnet-rpc-" + std::to_string(shape.connection_id) + "-" + what;
}

}  // namespace

ConnectionMemory ConnectionMemory::create(const Welcome& shape) {
  ConnectionMemory m;
  m.shape = shape;
  m.send_heap = net::SharedMemory::create(memfd_name(shape, "send"), shape.send_heap_bytes);
  m.receive_heap = net::SharedMemory::create(memfd_name(shape, "receive"), shape.receive_heap_bytes, true);
  m.queues = net::SharedMemory::create(memfd_name(shape, "queues"), queue_bytes(shape));
  m.submission_eventfd = net::Doorbell::make_eventfd();
  m.completion_eventfd = net::Doorbell::make_eventfd();
  return m;
}

ConnectionMemory ConnectionMemory::attach(const Welcome& shape, std::vector<net::UniqueFd> fds) {
  if (fds.size() != kWelcomeFds)
    throw InputError("Welcome came with " + std::to_string(fds.size()) + " descriptors, expected " +
                     std::to_string(kWelcomeFds));
  using Access = net::SharedMemory::Access;
  ConnectionMemory m;
  m.shape = shape;
  m.send_heap = net::SharedMemory::attach(std::move(fds[0]), shape.send_heap_bytes, Access::kReadWrite);
  m.receive_heap = net::SharedMemory::attach(std::move(fds[1]), shape.receive_heap_bytes, Access::kReadOnly);
  m.queues = net::SharedMemory::attach(std::move(fds[2]), queue_bytes(shape), Access::kReadWrite);
  m.submission_eventfd = std::move(fds[3]);
  m.completion_eventfd = std::move(fds[4]);
  return m;
}

std::array<int, kWelcomeFds> ConnectionMemory::fds() const {
  return {send_heap.fd(), receive_heap.fd(), queues.fd(), submission_eventfd.get(), completion_eventfd.get()};
}

}  // namespace fixnet::rpc
