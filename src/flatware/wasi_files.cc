// The fd_* calls: reading, writing, seeking and describing open descriptors.
//
// errno conventions (docs/flatware.md): an fd that is not open is EBADF; file-data operations on a
// directory fd are EISDIR; positioned operations on stdio are ESPIPE; reading from an fd without the
// read right (or from stdout/stderr), writing without the write right (or to stdin) is EBADF.
#include <algorithm>
#include <limits>

#include "flatware/guest_io.h"
#include "flatware/wasi_host.h"

namespace fixnet::flatware {

using wasi::Errno;

namespace {

// The checks every file-data call shares: open, not a directory, optionally seekable (not stdio).
Errno data_fd(FdTable& fds, uint64_t fd, bool positioned, OpenFile*& out) {
  out = fds.get(fd);
  if (!out) return Errno::badf;
  if (out->kind == FdKind::directory) return Errno::isdir;
  if (positioned && out->is_stdio()) return Errno::spipe;
  return Errno::success;
}

}  // namespace

Errno WasiHost::read_at(OpenFile& f, wasm::GuestMemory& m, uint64_t iovs, uint64_t count, uint64_t offset,
                        uint64_t nread_ptr, uint64_t& nread) {
  if (!f.readable()) return Errno::badf;
  const IoVector io = read_iovecs(m, iovs, count);
  check_range(m, nread_ptr, 4);
  if (io.total > std::numeric_limits<uint32_t>::max()) return Errno::inval;
  const std::string_view source = f.kind == FdKind::stdin_stream ? stdin_bytes() : fs_.content(*f.node);
  nread = offset < source.size() ? scatter(m, io, source.substr(offset)) : 0;
  m.store<uint32_t>(nread_ptr, static_cast<uint32_t>(nread));
  return Errno::success;
}

Errno WasiHost::write_at(OpenFile& f, wasm::GuestMemory& m, uint64_t iovs, uint64_t count, uint64_t* offset,
                         uint64_t nwritten_ptr, uint64_t& written) {
  if (!f.writable()) return Errno::badf;
  const IoVector io = read_iovecs(m, iovs, count);
  check_range(m, nwritten_ptr, 4);
  if (io.total > std::numeric_limits<uint32_t>::max()) return Errno::inval;
  const std::string data = gather(m, io);
  if (f.kind == FdKind::file) {
    const uint64_t size = fs_.size(*f.node);
    const uint64_t at = offset ? *offset : size;  // no offset: append
    const uint64_t gap = at > size ? at - size : 0;
    charge(data.size() + (data.empty() ? 0 : gap));
    fs_.write(*f.node, at, data);
  } else {
    charge(data.size());
    (f.kind == FdKind::stdout_stream ? stdout_ : stderr_).append(data);
  }
  written = data.size();
  m.store<uint32_t>(nwritten_ptr, static_cast<uint32_t>(written));
  return Errno::success;
}

Errno WasiHost::fd_read(const uint64_t* a, wasm::GuestMemory& m) {
  OpenFile* f;
  if (Errno e = data_fd(fds_, a[0], false, f); e != Errno::success) return e;
  uint64_t n = 0;
  Errno e = read_at(*f, m, a[1], a[2], f->offset, a[3], n);
  f->offset += n;
  return e;
}

Errno WasiHost::fd_pread(const uint64_t* a, wasm::GuestMemory& m) {
  OpenFile* f;
  if (Errno e = data_fd(fds_, a[0], true, f); e != Errno::success) return e;
  uint64_t n = 0;
  return read_at(*f, m, a[1], a[2], a[3], a[4], n);
}

Errno WasiHost::fd_write(const uint64_t* a, wasm::GuestMemory& m) {
  OpenFile* f;
  if (Errno e = data_fd(fds_, a[0], false, f); e != Errno::success) return e;
  const bool append = f->flags & wasi::kFdflagAppend;
  uint64_t n = 0;
  Errno e = write_at(*f, m, a[1], a[2], append || f->is_stdio() ? nullptr : &f->offset, a[3], n);
  if (e == Errno::success && f->kind == FdKind::file) f->offset = append ? fs_.size(*f->node) : f->offset + n;
  return e;
}

Errno WasiHost::fd_pwrite(const uint64_t* a, wasm::GuestMemory& m) {
  OpenFile* f;
  if (Errno e = data_fd(fds_, a[0], true, f); e != Errno::success) return e;
  uint64_t offset = a[3], n = 0;
  return write_at(*f, m, a[1], a[2], &offset, a[4], n);
}

Errno WasiHost::fd_seek(const uint64_t* a, wasm::GuestMemory& m) {
  OpenFile* f;
  if (Errno e = data_fd(fds_, a[0], true, f); e != Errno::success) return e;
  const auto delta = static_cast<int64_t>(a[1]);
  uint64_t base;
  switch (a[2]) {
    case wasi::kWhenceSet:
      base = 0;
      break;
    case wasi::kWhenceCur:
      base = f->offset;
      break;
    case wasi::kWhenceEnd:
      base = fs_.size(*f->node);
      break;
    default:
      return Errno::inval;
  }
  if (delta < 0 ? uint64_t(-(delta + 1)) + 1 > base : uint64_t(delta) > uint64_t(INT64_MAX) - base)
    return Errno::inval;
  check_range(m, a[3], 8);
  f->offset = base + static_cast<uint64_t>(delta);
  m.store<uint64_t>(a[3], f->offset);
  return Errno::success;
}

Errno WasiHost::fd_tell(const uint64_t* a, wasm::GuestMemory& m) {
  OpenFile* f;
  if (Errno e = data_fd(fds_, a[0], true, f); e != Errno::success) return e;
  m.store<uint64_t>(a[1], f->offset);
  return Errno::success;
}

Errno WasiHost::fd_close(const uint64_t* a, wasm::GuestMemory&) { return fds_.close(a[0]); }

Errno WasiHost::fd_renumber(const uint64_t* a, wasm::GuestMemory&) { return fds_.renumber(a[0], a[1]); }

Errno WasiHost::fd_fdstat_get(const uint64_t* a, wasm::GuestMemory& m) {
  OpenFile* f = fds_.get(a[0]);
  if (!f) return Errno::badf;
  namespace st = wasi::fdstat;
  uint8_t buf[st::size] = {};
  buf[st::filetype] = static_cast<uint8_t>(filetype_of(*f));
  buf[st::flags] = static_cast<uint8_t>(f->flags);
  buf[st::flags + 1] = static_cast<uint8_t>(f->flags >> 8);
  for (int i = 0; i < 8; ++i) {
    buf[st::rights_base + i] = static_cast<uint8_t>(f->rights_base >> (8 * i));
    buf[st::rights_inheriting + i] = static_cast<uint8_t>(f->rights_inheriting >> (8 * i));
  }
  m.write_bytes(a[1], buf, sizeof buf);
  return Errno::success;
}

Errno WasiHost::fd_fdstat_set_flags(const uint64_t* a, wasm::GuestMemory&) {
  OpenFile* f = fds_.get(a[0]);
  if (!f) return Errno::badf;
  if (a[1] & ~uint64_t{wasi::kFdflagsAll}) return Errno::inval;
  f->flags = static_cast<uint16_t>(a[1]);
  return Errno::success;
}

Errno WasiHost::fd_fdstat_set_rights(const uint64_t* a, wasm::GuestMemory&) {
  OpenFile* f = fds_.get(a[0]);
  if (!f) return Errno::badf;
  if ((a[1] & ~f->rights_base) || (a[2] & ~f->rights_inheriting)) return Errno::notcapable;  // only dropping
  f->rights_base = a[1];
  f->rights_inheriting = a[2];
  return Errno::success;
}

Errno WasiHost::fd_filestat_get(const uint64_t* a, wasm::GuestMemory& m) {
  OpenFile* f = fds_.get(a[0]);
  if (!f) return Errno::badf;
  if (f->is_stdio())
    write_filestat(m, a[1], 0, wasi::Filetype::character_device, 0);
  else
    write_node_stat(m, a[1], *f->node);
  return Errno::success;
}

Errno WasiHost::fd_filestat_set_size(const uint64_t* a, wasm::GuestMemory&) {
  OpenFile* f;
  if (Errno e = data_fd(fds_, a[0], false, f); e != Errno::success) return e;
  if (f->is_stdio()) return Errno::inval;
  if (!f->writable()) return Errno::badf;
  const uint64_t size = fs_.size(*f->node);
  if (a[1] > size) charge(a[1] - size);
  fs_.set_size(*f->node, a[1]);
  return Errno::success;
}

// Times are accepted and dropped: the tree format has none, and stat reports the start time.
Errno WasiHost::fd_filestat_set_times(const uint64_t* a, wasm::GuestMemory&) {
  if (!fds_.get(a[0])) return Errno::badf;
  return wasi::valid_fstflags(a[3]) ? Errno::success : Errno::inval;
}

Errno WasiHost::fd_advise(const uint64_t* a, wasm::GuestMemory&) {
  OpenFile* f;
  if (Errno e = data_fd(fds_, a[0], true, f); e != Errno::success) return e;
  return a[3] <= wasi::kAdviceMax ? Errno::success : Errno::inval;
}

Errno WasiHost::fd_allocate(const uint64_t* a, wasm::GuestMemory&) {
  OpenFile* f;
  if (Errno e = data_fd(fds_, a[0], true, f); e != Errno::success) return e;
  if (!f->writable()) return Errno::badf;
  if (a[2] > uint64_t(INT64_MAX) - a[1]) return Errno::fbig;
  const uint64_t end = a[1] + a[2], size = fs_.size(*f->node);
  if (end > size) {
    charge(end - size);
    fs_.set_size(*f->node, end);
  }
  return Errno::success;
}

// Everything lives in memory until the run ends: syncing is a no-op, meaningless on stdio (EINVAL).
Errno WasiHost::fd_sync(const uint64_t* a, wasm::GuestMemory&) {
  OpenFile* f = fds_.get(a[0]);
  if (!f) return Errno::badf;
  return f->is_stdio() ? Errno::inval : Errno::success;
}

Errno WasiHost::fd_datasync(const uint64_t* a, wasm::GuestMemory& m) { return fd_sync(a, m); }

Errno WasiHost::fd_prestat_get(const uint64_t* a, wasm::GuestMemory& m) {
  OpenFile* f = fds_.get(a[0]);
  if (!f || !f->preopen) return Errno::badf;  // wasi-libc scans fds from 3 until EBADF
  uint8_t buf[wasi::prestat::size] = {};
  buf[wasi::prestat::tag] = wasi::kPreopenDir;
  buf[wasi::prestat::name_len] = 1;  // "/"
  m.write_bytes(a[1], buf, sizeof buf);
  return Errno::success;
}

Errno WasiHost::fd_prestat_dir_name(const uint64_t* a, wasm::GuestMemory& m) {
  OpenFile* f = fds_.get(a[0]);
  if (!f || !f->preopen) return Errno::badf;
  if (a[2] < 1) return Errno::nametoolong;
  m.write_bytes(a[1], "/", 1);
  return Errno::success;
}

// Entries ".", "..", then the names in order; the cookie of an entry is its index + 1. The buffer is
// filled as far as it goes, cutting the last entry short: bufused == buf_len tells the program to
// come back (with a bigger buffer if one entry did not fit).
Errno WasiHost::fd_readdir(const uint64_t* a, wasm::GuestMemory& m) {
  OpenFile* f = fds_.get(a[0]);
  if (!f) return Errno::badf;
  if (f->kind != FdKind::directory) return Errno::notdir;
  const uint64_t buf = a[1], buf_len = a[2], cookie = a[3];
  check_range(m, buf, buf_len);
  check_range(m, a[4], 4);
  const std::vector<DirEntry> entries = fs_.list(*f->node);
  std::string out;
  namespace de = wasi::dirent;
  for (uint64_t i = cookie; i < entries.size() && out.size() < buf_len; ++i) {
    const DirEntry& e = entries[i];
    char head[de::size] = {};
    for (int b = 0; b < 8; ++b) {
      head[de::next + b] = static_cast<char>((i + 1) >> (8 * b));
      head[de::ino + b] = static_cast<char>(e.node->ino >> (8 * b));
    }
    for (int b = 0; b < 4; ++b) head[de::namlen + b] = static_cast<char>(e.name.size() >> (8 * b));
    head[de::type] = static_cast<char>(filetype_of(e.node->kind));
    out.append(head, sizeof head);
    out.append(e.name);
  }
  const uint64_t used = std::min<uint64_t>(out.size(), buf_len);
  m.write_bytes(buf, out.data(), used);
  m.store<uint32_t>(a[4], static_cast<uint32_t>(used));
  return Errno::success;
}

}  // namespace fixnet::flatware
