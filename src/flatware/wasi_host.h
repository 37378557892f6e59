// WasiHost: the answers to a Flatware program's WASI preview 1 calls, computed from its input Tree only
// (docs/flatware.md, "What the program sees"). The wasm runner calls call() for every import; tests call
// it directly over a vector-backed GuestMemory.
//
// Determinism is the point: files come from the input's filesystem Tree (VirtualFs), stdin from its
// Blob, time from a virtual clock started at the input's start time, random bytes from ChaCha20 under
// its seed. Output (stdout, stderr, the changed filesystem) is kept in memory, bounded by
// FlatwareLimits, and handed back by finish().
#pragma once

#include <cstdint>
#include <string>

#include "core/store.h"
#include "flatware/fd_table.h"
#include "flatware/program_input.h"
#include "flatware/random_stream.h"
#include "flatware/virtual_clock.h"
#include "flatware/virtual_fs.h"
#include "wasm/system_calls.h"

namespace fixnet::flatware {

struct FlatwareLimits {
  // Bytes written to stdout, stderr and files, zero-filled file growth included. More is a
  // deterministic trap (ProcedureError), not an errno: the run's output would be cut arbitrarily.
  uint64_t max_output_bytes = uint64_t{256} << 20;
  uint32_t max_open_fds = 1024;     // EMFILE beyond, stdio and the preopen included
  uint32_t max_path_length = 4096;  // ENAMETOOLONG beyond (paths and symbolic link targets)
};

class WasiHost : public wasm::SystemCalls {
 public:
  WasiHost(ObjectStore& store, const ProgramInput& input, const FlatwareLimits& limits = {});

  uint32_t call(wasm::WasiCall call, const uint64_t* args, wasm::GuestMemory& memory) override;

  // The run's output: stdout and stderr put in the store, the filesystem as a directory Tree.
  ProgramOutput finish(uint32_t exit_code);

  VirtualFs& filesystem() { return fs_; }
  const VirtualClock& clock() const { return clock_; }

 private:
  // One member per WASI call, named after it; `a` holds the call's arguments in signature order.
#define FIXNET_WASI_MEMBER(name, ret, wres, wparams, params, args) \
  wasi::Errno name(const uint64_t* a, wasm::GuestMemory& m);
  FIXNET_WASI_CALLS(FIXNET_WASI_MEMBER)
#undef FIXNET_WASI_MEMBER

  wasi::Errno dispatch(wasm::WasiCall call, const uint64_t* a, wasm::GuestMemory& m);
  // Counts `bytes` against max_output_bytes; throws ProcedureError past it.
  void charge(uint64_t bytes);
  wasi::Errno directory_fd(uint64_t fd, NodePtr& dir);
  // directory_fd, then path_arg: the two checks every path call starts with.
  wasi::Errno dir_path(const wasm::GuestMemory& m, uint64_t fd, uint64_t ptr, uint64_t len, NodePtr& dir,
                       std::string_view& path);
  // Resolves the (fd, path, path_len) arguments and applies `op` (mkdir, rmdir, unlink).
  wasi::Errno path_only(const uint64_t* a, wasm::GuestMemory& m,
                        wasi::Errno (VirtualFs::*op)(const NodePtr&, std::string_view));
  // The path argument at (ptr, len): ENAMETOOLONG past the limit, GuestFault outside memory.
  wasi::Errno path_arg(const wasm::GuestMemory& m, uint64_t ptr, uint64_t len, std::string_view& path) const;
  std::string_view stdin_bytes();
  // Bytes left to read at the fd's offset (poll_oneoff's nbytes).
  uint64_t readable_bytes(OpenFile& f);
  wasi::Errno read_at(OpenFile& f, wasm::GuestMemory& m, uint64_t iovs, uint64_t count, uint64_t offset,
                      uint64_t nread_ptr, uint64_t& nread);
  wasi::Errno write_at(OpenFile& f, wasm::GuestMemory& m, uint64_t iovs, uint64_t count, uint64_t* offset,
                       uint64_t nwritten_ptr, uint64_t& written);
  void write_filestat(wasm::GuestMemory& m, uint64_t ptr, uint64_t ino, wasi::Filetype type, uint64_t size);
  void write_node_stat(wasm::GuestMemory& m, uint64_t ptr, Node& node);

  ObjectStore& store_;
  ProgramInput input_;
  FlatwareLimits limits_;
  VirtualFs fs_;
  FdTable fds_;
  VirtualClock clock_;
  RandomStream random_;
  BlobData stdin_;
  std::string stdout_, stderr_;
  uint64_t output_bytes_ = 0;
};

}  // namespace fixnet::flatware
