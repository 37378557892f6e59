// The calls that are not about files: arguments, environment, clocks, randomness, poll_oneoff, the
// process, and sockets (which a Flatware program never has).
#include <algorithm>
#include <vector>

#include "flatware/guest_io.h"
#include "flatware/wasi_host.h"

namespace fixnet::flatware {

using wasi::Errno;

Errno WasiHost::args_get(const uint64_t* a, wasm::GuestMemory& m) {
  write_string_list(m, input_.args, a[0], a[1]);
  return Errno::success;
}

Errno WasiHost::args_sizes_get(const uint64_t* a, wasm::GuestMemory& m) {
  write_string_list_sizes(m, input_.args, a[0], a[1]);
  return Errno::success;
}

Errno WasiHost::environ_get(const uint64_t* a, wasm::GuestMemory& m) {
  write_string_list(m, input_.env, a[0], a[1]);
  return Errno::success;
}

Errno WasiHost::environ_sizes_get(const uint64_t* a, wasm::GuestMemory& m) {
  write_string_list_sizes(m, input_.env, a[0], a[1]);
  return Errno::success;
}

Errno WasiHost::clock_res_get(const uint64_t* a, wasm::GuestMemory& m) {
  if (!VirtualClock::valid(static_cast<uint32_t>(a[0])) || a[0] > UINT32_MAX) return Errno::inval;
  m.store<uint64_t>(a[1], VirtualClock::kResolution);
  return Errno::success;
}

Errno WasiHost::clock_time_get(const uint64_t* a, wasm::GuestMemory& m) {
  if (!VirtualClock::valid(static_cast<uint32_t>(a[0])) || a[0] > UINT32_MAX) return Errno::inval;
  check_range(m, a[2], 8);  // a bad pointer must not move the clock
  m.store<uint64_t>(a[2], clock_.read_and_tick(static_cast<uint32_t>(a[0])));
  return Errno::success;
}

Errno WasiHost::random_get(const uint64_t* a, wasm::GuestMemory& m) {
  random_.fill(m.write(a[0], a[1]), a[1]);
  return Errno::success;
}

uint64_t WasiHost::readable_bytes(OpenFile& f) {
  uint64_t size = 0;
  if (f.kind == FdKind::stdin_stream)
    size = stdin_bytes().size();
  else if (f.kind == FdKind::file)
    size = fs_.size(*f.node);
  return size > f.offset ? size - f.offset : 0;
}

// Nothing here ever blocks: fd subscriptions on open fds are ready at once (reads report the bytes
// left, writes 0), and when none is, virtual time jumps to the earliest clock deadline. Events come
// in subscription order.
Errno WasiHost::poll_oneoff(const uint64_t* a, wasm::GuestMemory& m) {
  const uint64_t in = a[0], out = a[1], count = a[2];
  if (count == 0) return Errno::inval;
  namespace sub = wasi::subscription;
  namespace ev = wasi::event;
  check_range(m, in, count * sub::size);
  check_range(m, out, count * ev::size);
  check_range(m, a[3], 4);

  struct Event {
    bool ready = false;
    uint8_t type = 0;
    Errno error = Errno::success;
    uint64_t nbytes = 0;
    uint64_t deadline = UINT64_MAX;  // clock subscriptions: elapsed time at which they fire
  };
  std::vector<Event> events(count);
  bool any_ready = false;
  uint64_t earliest = UINT64_MAX;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t s = in + i * sub::size;
    Event& e = events[i];
    e.type = m.load<uint8_t>(s + sub::tag);
    if (e.type == wasi::kEventClock) {
      const uint32_t id = m.load<uint32_t>(s + sub::clock_id);
      const uint64_t timeout = m.load<uint64_t>(s + sub::clock_timeout);
      if (!VirtualClock::valid(id)) {
        e.ready = true;
        e.error = Errno::inval;
      } else if (m.load<uint16_t>(s + sub::clock_flags) & wasi::kSubclockAbstime) {
        e.deadline = clock_.elapsed_at(id, timeout);
      } else {
        e.deadline = clock_.elapsed() + std::min(timeout, UINT64_MAX - clock_.elapsed());
      }
      earliest = std::min(earliest, e.deadline);
    } else if (e.type == wasi::kEventFdRead || e.type == wasi::kEventFdWrite) {
      OpenFile* f = fds_.get(m.load<uint32_t>(s + sub::fd));
      e.ready = true;
      if (!f)
        e.error = Errno::badf;
      else if (e.type == wasi::kEventFdRead)
        e.nbytes = readable_bytes(*f);
    } else {
      e.ready = true;
      e.error = Errno::inval;
    }
    any_ready = any_ready || e.ready;
  }
  if (!any_ready) clock_.advance_to(earliest);

  uint32_t written = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const Event& e = events[i];
    if (!e.ready && e.deadline > clock_.elapsed()) continue;
    uint8_t buf[ev::size] = {};
    const uint64_t userdata = m.load<uint64_t>(in + i * sub::size + sub::userdata);
    for (int b = 0; b < 8; ++b) {
      buf[ev::userdata + b] = static_cast<uint8_t>(userdata >> (8 * b));
      buf[ev::nbytes + b] = static_cast<uint8_t>(e.nbytes >> (8 * b));
    }
    buf[ev::error] = static_cast<uint8_t>(wasi::code(e.error));
    buf[ev::type] = e.type;
    m.write_bytes(out + written * ev::size, buf, sizeof buf);
    ++written;
  }
  m.store<uint32_t>(a[3], written);
  return Errno::success;
}

Errno WasiHost::proc_exit(const uint64_t* a, wasm::GuestMemory&) {
  throw wasm::ProcExit{static_cast<uint32_t>(a[0])};
}

// Signals have no meaning for a computation.
Errno WasiHost::proc_raise(const uint64_t*, wasm::GuestMemory&) { return Errno::nosys; }

Errno WasiHost::sched_yield(const uint64_t*, wasm::GuestMemory&) { return Errno::success; }

// A Flatware program has no sockets: every open fd is not one, and no fd is EBADF.
namespace {
Errno not_a_socket(FdTable& fds, uint64_t fd) { return fds.get(fd) ? Errno::notsock : Errno::badf; }
}  // namespace

Errno WasiHost::sock_accept(const uint64_t* a, wasm::GuestMemory&) { return not_a_socket(fds_, a[0]); }
Errno WasiHost::sock_recv(const uint64_t* a, wasm::GuestMemory&) { return not_a_socket(fds_, a[0]); }
Errno WasiHost::sock_send(const uint64_t* a, wasm::GuestMemory&) { return not_a_socket(fds_, a[0]); }
Errno WasiHost::sock_shutdown(const uint64_t* a, wasm::GuestMemory&) { return not_a_socket(fds_, a[0]); }

}  // namespace fixnet::flatware
