// The WASI preview 1 constants and memory layouts the host answers with, defined once (values and
// offsets from the preview 1 witx, `wasi_snapshot_preview1`). Guest structs are read and written field
// by field at these offsets, never through host struct layouts.
#pragma once

#include <cstdint>

namespace fixnet::flatware::wasi {

// Error numbers. Named after the witx cases (`2big` is too_big); not the host's <cerrno> values.
enum class Errno : uint16_t {
  success = 0,
  too_big = 1,
  acces = 2,
  badf = 8,
  exist = 20,
  fault = 21,
  fbig = 22,
  inval = 28,
  io = 29,
  isdir = 31,
  loop = 32,
  mfile = 33,
  nametoolong = 37,
  noent = 44,
  nosys = 52,
  notdir = 54,
  notempty = 55,
  notsock = 57,
  notsup = 58,
  overflow = 61,
  perm = 63,
  spipe = 70,
  xdev = 75,
  notcapable = 76,
};

inline uint32_t code(Errno e) { return static_cast<uint32_t>(e); }

enum class Filetype : uint8_t {
  unknown = 0,
  block_device = 1,
  character_device = 2,
  directory = 3,
  regular_file = 4,
  socket_dgram = 5,
  socket_stream = 6,
  symbolic_link = 7,
};

// fdflags
inline constexpr uint16_t kFdflagAppend = 1 << 0;
inline constexpr uint16_t kFdflagsAll = 0x1f;  // append, dsync, nonblock, rsync, sync

// oflags
inline constexpr uint16_t kOflagCreat = 1 << 0;
inline constexpr uint16_t kOflagDirectory = 1 << 1;
inline constexpr uint16_t kOflagExcl = 1 << 2;
inline constexpr uint16_t kOflagTrunc = 1 << 3;
inline constexpr uint16_t kOflagsAll = 0xf;

// lookupflags
inline constexpr uint32_t kLookupSymlinkFollow = 1 << 0;

// fstflags
inline constexpr uint16_t kFstAtim = 1 << 0;
inline constexpr uint16_t kFstAtimNow = 1 << 1;
inline constexpr uint16_t kFstMtim = 1 << 2;
inline constexpr uint16_t kFstMtimNow = 1 << 3;
inline constexpr uint16_t kFstAll = 0xf;
// Known bits only, and never both a time and "now" for the same timestamp.
inline bool valid_fstflags(uint64_t flags) {
  if (flags & ~uint64_t{kFstAll}) return false;
  if ((flags & kFstAtim) && (flags & kFstAtimNow)) return false;
  return !((flags & kFstMtim) && (flags & kFstMtimNow));
}

// whence
inline constexpr uint32_t kWhenceSet = 0, kWhenceCur = 1, kWhenceEnd = 2;

// clockid
inline constexpr uint32_t kClockRealtime = 0, kClockMonotonic = 1, kClockProcessCputime = 2,
                          kClockThreadCputime = 3;

// advice: normal … noreuse
inline constexpr uint32_t kAdviceMax = 5;

// rights: bit i is the i-th right of the witx `rights` flags (fd_datasync = bit 0 … sock_accept = bit 29).
inline constexpr uint64_t kRightFdRead = 1 << 1;
inline constexpr uint64_t kRightFdWrite = 1 << 6;
inline constexpr uint64_t kRightsAll = (uint64_t{1} << 30) - 1;

// preopentype
inline constexpr uint8_t kPreopenDir = 0;

// poll_oneoff
inline constexpr uint8_t kEventClock = 0, kEventFdRead = 1, kEventFdWrite = 2;
inline constexpr uint16_t kSubclockAbstime = 1 << 0;

// Layouts: sizes and field offsets of the structs the host reads or writes.
namespace iovec {  // iovec / ciovec
inline constexpr uint64_t size = 8, buf = 0, buf_len = 4;
}
namespace fdstat {
inline constexpr uint64_t size = 24, filetype = 0, flags = 2, rights_base = 8, rights_inheriting = 16;
}
namespace filestat {
inline constexpr uint64_t size = 64, dev = 0, ino = 8, filetype = 16, nlink = 24, fsize = 32, atim = 40,
                          mtim = 48, ctim = 56;
}
namespace prestat {
inline constexpr uint64_t size = 8, tag = 0, name_len = 4;
}
namespace dirent {
inline constexpr uint64_t size = 24, next = 0, ino = 8, namlen = 16, type = 20;
}
namespace subscription {  // the union starts at 8 (tag) and its contents at 16
inline constexpr uint64_t size = 48, userdata = 0, tag = 8, clock_id = 16, clock_timeout = 24,
                          clock_flags = 40, fd = 16;
}
namespace event {
inline constexpr uint64_t size = 32, userdata = 0, error = 8, type = 10, nbytes = 16, flags = 24;
}

}  // namespace fixnet::flatware::wasi
