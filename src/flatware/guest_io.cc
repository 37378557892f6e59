#include "flatware/guest_io.h"

#include <algorithm>

#include "flatware/wasi_types.h"

namespace fixnet::flatware {

IoVector read_iovecs(const wasm::GuestMemory& m, uint64_t iovs, uint64_t count) {
  check_range(m, iovs, count * wasi::iovec::size);  // count < 2^32: the product cannot overflow
  IoVector io;
  io.slices.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t at = iovs + i * wasi::iovec::size;
    IoSlice s{m.load<uint32_t>(at + wasi::iovec::buf), m.load<uint32_t>(at + wasi::iovec::buf_len)};
    check_range(m, s.addr, s.len);
    io.slices.push_back(s);
    io.total += s.len;
  }
  return io;
}

std::string gather(const wasm::GuestMemory& m, const IoVector& io) {
  std::string out;
  out.reserve(io.total);
  for (const IoSlice& s : io.slices) out.append(m.read_string(s.addr, s.len));
  return out;
}

uint64_t scatter(wasm::GuestMemory& m, const IoVector& io, std::string_view bytes) {
  uint64_t done = 0;
  for (const IoSlice& s : io.slices) {
    if (done == bytes.size()) break;
    const uint64_t n = std::min<uint64_t>(s.len, bytes.size() - done);
    m.write_bytes(s.addr, bytes.data() + done, n);
    done += n;
  }
  return done;
}

namespace {
uint64_t list_bytes(const std::vector<std::string>& strings) {
  uint64_t total = 0;
  for (const auto& s : strings) total += s.size() + 1;
  return total;
}
}  // namespace

void write_string_list(wasm::GuestMemory& m, const std::vector<std::string>& strings, uint64_t ptrs,
                       uint64_t buf) {
  check_range(m, ptrs, strings.size() * 4);
  check_range(m, buf, list_bytes(strings));
  for (size_t i = 0; i < strings.size(); ++i) {
    m.store<uint32_t>(ptrs + 4 * i, static_cast<uint32_t>(buf));
    m.write_bytes(buf, strings[i].c_str(), strings[i].size() + 1);
    buf += strings[i].size() + 1;
  }
}

void write_string_list_sizes(wasm::GuestMemory& m, const std::vector<std::string>& strings,
                             uint64_t count_ptr, uint64_t size_ptr) {
  check_range(m, count_ptr, 4);
  check_range(m, size_ptr, 4);
  m.store<uint32_t>(count_ptr, static_cast<uint32_t>(strings.size()));
  m.store<uint32_t>(size_ptr, static_cast<uint32_t>(list_bytes(strings)));
}

}  // namespace fixnet::flatware
