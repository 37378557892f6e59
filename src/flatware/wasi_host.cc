// WasiHost: construction, the dispatch of calls to their members, the output, and the helpers the
// call families share. The calls themselves are in wasi_files.cc (fd_*), wasi_paths.cc (path_*) and
// wasi_misc.cc (args, environment, clocks, random, poll, process, sockets).
#include "flatware/wasi_host.h"

#include <fmt/format.h>

#include "core/error.h"

namespace fixnet::flatware {

using wasi::Errno;

WasiHost::WasiHost(ObjectStore& store, const ProgramInput& input, const FlatwareLimits& limits)
    : store_(store),
      input_(input),
      limits_(limits),
      fs_(store, input.filesystem),
      fds_(limits.max_open_fds),
      clock_(input.start_time_ns),
      random_(input.seed) {
  fds_.insert(OpenFile{FdKind::stdin_stream, nullptr});
  fds_.insert(OpenFile{FdKind::stdout_stream, nullptr});
  fds_.insert(OpenFile{FdKind::stderr_stream, nullptr});
  OpenFile root{FdKind::directory, fs_.root()};
  root.preopen = true;
  fds_.insert(std::move(root));
}

uint32_t WasiHost::call(wasm::WasiCall call, const uint64_t* args, wasm::GuestMemory& memory) {
  try {
    return wasi::code(dispatch(call, args, memory));
  } catch (const wasm::GuestFault&) {
    return wasi::code(Errno::fault);
  }
}

Errno WasiHost::dispatch(wasm::WasiCall call, const uint64_t* a, wasm::GuestMemory& m) {
  switch (call) {
#define FIXNET_WASI_CASE(name, ret, wres, wparams, params, args) \
  case wasm::WasiCall::name:                                     \
    return name(a, m);
    FIXNET_WASI_CALLS(FIXNET_WASI_CASE)
#undef FIXNET_WASI_CASE
  }
  return Errno::nosys;
}

ProgramOutput WasiHost::finish(uint32_t exit_code) {
  return ProgramOutput{exit_code, store_.put_blob(stdout_), store_.put_blob(stderr_), fs_.to_tree()};
}

void WasiHost::charge(uint64_t bytes) {
  if (bytes > limits_.max_output_bytes - output_bytes_)
    throw ProcedureError(fmt::format("flatware: the program wrote more than {} bytes (output limit)",
                                     limits_.max_output_bytes));
  output_bytes_ += bytes;
}

Errno WasiHost::directory_fd(uint64_t fd, NodePtr& dir) {
  OpenFile* f = fds_.get(fd);
  if (!f) return Errno::badf;
  if (f->kind != FdKind::directory) return Errno::notdir;
  dir = f->node;
  return Errno::success;
}

Errno WasiHost::path_arg(const wasm::GuestMemory& m, uint64_t ptr, uint64_t len,
                         std::string_view& path) const {
  if (len > limits_.max_path_length) return Errno::nametoolong;
  path = m.read_string(ptr, len);
  return Errno::success;
}

Errno WasiHost::dir_path(const wasm::GuestMemory& m, uint64_t fd, uint64_t ptr, uint64_t len, NodePtr& dir,
                         std::string_view& path) {
  if (Errno e = directory_fd(fd, dir); e != Errno::success) return e;
  return path_arg(m, ptr, len, path);
}

std::string_view WasiHost::stdin_bytes() {
  if (!stdin_) stdin_ = store_.get_blob(input_.stdin_blob);
  return *stdin_;
}

void WasiHost::write_filestat(wasm::GuestMemory& m, uint64_t ptr, uint64_t ino, wasi::Filetype type,
                              uint64_t size) {
  namespace fs = wasi::filestat;
  uint8_t buf[fs::size] = {};
  auto put64 = [&](uint64_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) buf[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  put64(fs::dev, 0);
  put64(fs::ino, ino);
  buf[fs::filetype] = static_cast<uint8_t>(type);
  put64(fs::nlink, 1);
  put64(fs::fsize, size);
  // Timestamps are not part of the tree format: every file was last touched at the start time.
  put64(fs::atim, input_.start_time_ns);
  put64(fs::mtim, input_.start_time_ns);
  put64(fs::ctim, input_.start_time_ns);
  m.write_bytes(ptr, buf, sizeof buf);
}

void WasiHost::write_node_stat(wasm::GuestMemory& m, uint64_t ptr, Node& node) {
  write_filestat(m, ptr, node.ino, filetype_of(node.kind), fs_.size(node));
}

}  // namespace fixnet::flatware
