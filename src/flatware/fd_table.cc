#include "flatware/fd_table.h"

namespace fixnet::flatware {

OpenFile* FdTable::get(uint64_t fd) {
  auto it = files_.find(static_cast<uint32_t>(fd));
  return fd > UINT32_MAX || it == files_.end() ? nullptr : &it->second;
}

std::optional<uint32_t> FdTable::insert(OpenFile file) {
  if (full()) return std::nullopt;
  uint32_t fd = 0;
  for (const auto& [used, open] : files_) {
    if (used != fd) break;
    ++fd;
  }
  files_.emplace(fd, std::move(file));
  return fd;
}

Errno FdTable::close(uint64_t fd) {
  if (!get(fd)) return Errno::badf;
  files_.erase(static_cast<uint32_t>(fd));
  return Errno::success;
}

// Both fds must be open (as in wasmtime and uvwasi); `to` is closed and `from` takes its number.
Errno FdTable::renumber(uint64_t from, uint64_t to) {
  OpenFile* src = get(from);
  if (!src || !get(to)) return Errno::badf;
  if (from == to) return Errno::success;
  files_.at(static_cast<uint32_t>(to)) = std::move(*src);
  files_.erase(static_cast<uint32_t>(from));
  return Errno::success;
}

}  // namespace fixnet::flatware
