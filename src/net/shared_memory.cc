#include "net/shared_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "core/error.h"
#include "net/system_error.h"

namespace fixnet::net {

size_t SharedMemory::round_to_pages(size_t size) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return (size + page - 1) / page * page;
}

SharedMemory SharedMemory::create(std::string_view name, size_t size, bool peers_read_only) {
  const std::string label(name);
  if (size == 0) throw InputError("shared memory " + label + ": size 0");
  size = round_to_pages(size);
  UniqueFd fd(::memfd_create(label.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) throw_system_error("memfd_create", label);
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) throw_system_error("ftruncate", label);
  void* data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (data == MAP_FAILED) throw_system_error("mmap", label);
  SharedMemory memory(std::move(fd), static_cast<uint8_t*>(data), size);
  // FUTURE_WRITE after our own writable mapping exists: it stays writable, later ones cannot be.
  int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
  if (peers_read_only) seals |= F_SEAL_FUTURE_WRITE;
  if (::fcntl(memory.fd(), F_ADD_SEALS, seals) != 0) throw_system_error("fcntl(F_ADD_SEALS)", label);
  return memory;
}

SharedMemory SharedMemory::attach(UniqueFd fd, size_t expected_size, Access access) {
  expected_size = round_to_pages(expected_size);
  const int seals = ::fcntl(fd.get(), F_GET_SEALS);
  if (seals < 0 || !(seals & F_SEAL_SHRINK))
    throw InputError("shared memory from peer is not a memfd sealed against shrinking; refusing to map it");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_system_error("fstat", "shared memory from peer");
  if (static_cast<size_t>(st.st_size) != expected_size)
    throw InputError("shared memory from peer has " + std::to_string(st.st_size) + " bytes, expected " +
                     std::to_string(expected_size));
  const int prot = access == Access::kReadWrite ? PROT_READ | PROT_WRITE : PROT_READ;
  void* data = ::mmap(nullptr, expected_size, prot, MAP_SHARED, fd.get(), 0);
  if (data == MAP_FAILED) throw_system_error("mmap", "shared memory from peer");
  return SharedMemory(std::move(fd), static_cast<uint8_t*>(data), expected_size);
}

SharedMemory::~SharedMemory() { unmap(); }

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : fd_(std::move(other.fd_)), data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept {
  if (this != &other) {
    unmap();
    fd_ = std::move(other.fd_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void SharedMemory::unmap() {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace fixnet::net
