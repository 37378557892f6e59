// ConnectionMemory: the shared objects of one application's connection — send heap, receive heap,
// the queue region (submission queue, then completion queue) and the two doorbell eventfds.
// The service create()s them (sealed memfds, docs/rpc.md "Connecting"); the application attach()es
// to the descriptors that came with the Welcome, checking seals and sizes. Move-only; unmaps and
// closes everything when destroyed.
#pragma once

#include <array>
#include <vector>

#include "net/descriptor_queue.h"
#include "net/shared_memory.h"
#include "net/unique_fd.h"
#include "rpc/control_protocol.h"

namespace fixnet::rpc {

struct ConnectionMemory {
  static ConnectionMemory create(const Welcome& shape);
  // `fds` in Welcome order. Throws InputError when they are not what the Welcome describes.
  static ConnectionMemory attach(const Welcome& shape, std::vector<net::UniqueFd> fds);

  // The descriptors to send with the Welcome, in order (still owned here).
  std::array<int, kWelcomeFds> fds() const;
  uint8_t* submission_region() const { return queues.data(); }
  uint8_t* completion_region() const { return queues.data() + net::queue_region_bytes(shape.queue_slots); }

  Welcome shape;
  net::SharedMemory send_heap;
  net::SharedMemory receive_heap;
  net::SharedMemory queues;
  net::UniqueFd submission_eventfd;
  net::UniqueFd completion_eventfd;
};

}  // namespace fixnet::rpc
