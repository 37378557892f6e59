// SharedMemory: sealed memfds, and attach() refusing what a hostile peer could hand over.
#include "net/shared_memory.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/error.h"

namespace fixnet::net {
namespace {

UniqueFd dup_fd(int fd) { return UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, 0)); }

TEST(SharedMemory, PeerSeesWritesAndCannotResize) {
  auto region = SharedMemory::create("test-heap", 10000);
  EXPECT_EQ(region.size(), SharedMemory::round_to_pages(10000));
  auto peer = SharedMemory::attach(dup_fd(region.fd()), 10000, SharedMemory::Access::kReadWrite);
  region.data()[5] = 42;
  EXPECT_EQ(peer.data()[5], 42);
  EXPECT_NE(::ftruncate(peer.fd(), 0), 0) << "a peer must not shrink the region under our mapping";
  EXPECT_NE(::ftruncate(peer.fd(), 1 << 20), 0);
  EXPECT_NE(::fcntl(peer.fd(), F_ADD_SEALS, F_SEAL_WRITE), 0);
}

TEST(SharedMemory, ReadOnlyForPeersMeansNoWritableMappingEver) {
  auto region = SharedMemory::create("test-receive-heap", 4096, /*peers_read_only=*/true);
  region.data()[0] = 1;  // ours stays writable
  void* writable = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, region.fd(), 0);
  EXPECT_EQ(writable, MAP_FAILED);
  auto peer = SharedMemory::attach(dup_fd(region.fd()), 4096, SharedMemory::Access::kReadOnly);
  EXPECT_EQ(peer.data()[0], 1);
  EXPECT_NE(::mprotect(peer.data(), 4096, PROT_READ | PROT_WRITE), 0);
}

TEST(SharedMemory, AttachRefusesUnsealedAndWrongSize) {
  UniqueFd plain(::memfd_create("unsealed", MFD_CLOEXEC));
  ASSERT_EQ(::ftruncate(plain.get(), 4096), 0);
  EXPECT_THROW(SharedMemory::attach(std::move(plain), 4096, SharedMemory::Access::kReadWrite), InputError);
  auto region = SharedMemory::create("sized", 8192);
  EXPECT_THROW(SharedMemory::attach(dup_fd(region.fd()), 4096, SharedMemory::Access::kReadWrite), InputError);
  EXPECT_THROW(SharedMemory::attach(dup_fd(region.fd()), 1 << 20, SharedMemory::Access::kReadWrite), InputError);
}

}  // namespace
}  // namespace fixnet::net
