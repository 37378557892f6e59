// SharedMemory: a memfd mapped into this process — the backing of every region two processes share
// (an RPC heap, a descriptor queue).
//
// The creating side sizes the memfd, maps it and seals it: no shrinking, no growing, no further
// seals (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), so a peer holding the same fd can never truncate
// the file under our mapping (which would turn our reads into SIGBUS). With `peers_read_only`, it
// also adds F_SEAL_FUTURE_WRITE: our writable mapping keeps working, but nobody can map it writable
// again, so a peer can only read. attach() maps a memfd received from a peer only after checking the
// seals and that the size is the one it was told.
//
// Owns the fd and the mapping; both go away with the object. Move-only. The bytes are shared by
// design: what lives in them, and who may write which part, is the user's protocol.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/unique_fd.h"

namespace fixnet::net {

class SharedMemory {
 public:
  enum class Access { kReadWrite, kReadOnly };

  // `size` bytes (rounded up to whole pages), zeroed; `name` shows in /proc/PID/maps as memfd:NAME.
  // Throws EnvironmentError when the kernel refuses.
  static SharedMemory create(std::string_view name, size_t size, bool peers_read_only = false);
  // Maps a peer's memfd. Throws InputError when it is not sealed against shrinking or its size is
  // not `expected_size` (rounded like create()), EnvironmentError when mapping fails.
  static SharedMemory attach(UniqueFd fd, size_t expected_size, Access access);

  SharedMemory() = default;
  ~SharedMemory();
  SharedMemory(SharedMemory&& other) noexcept;
  SharedMemory& operator=(SharedMemory&& other) noexcept;

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  int fd() const { return fd_.get(); }

  static size_t round_to_pages(size_t size);

 private:
  SharedMemory(UniqueFd fd, uint8_t* data, size_t size) : fd_(std::move(fd)), data_(data), size_(size) {}
  void unmap();

  UniqueFd fd_;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace fixnet::net
