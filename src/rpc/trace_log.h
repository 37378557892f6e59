// The metrics policy's per-RPC trace log (docs/rpc.md, "Policies": `metrics trace=PATH`): lines
// gathered by an engine on its runtime thread and appended to a file by one writer thread per
// process, so a runtime never waits for a disk.
//
// Bounded cost: an engine appends a line to its own buffer (no lock, no system call) and hands the
// buffer over in batches (TraceLog::flush). The writer holds at most kMaxQueuedBytes of batches; a
// batch beyond that, or one the file refuses (a full disk, an I/O error), is dropped and its lines
// are counted in dropped(). A file that cannot be opened is refused when the policy is configured.
// TraceLog is used by one thread (its engine's); the writer is internal and thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace fixnet::rpc {

struct TraceFile;  // trace_log.cc: an open file and its counters, shared with the writer

class TraceLog {
 public:
  static constexpr size_t kBatchBytes = 64 * 1024;       // a batch is handed over at this size…
  static constexpr auto kBatchAge = std::chrono::milliseconds(50);  // …or this old
  static constexpr size_t kMaxQueuedBytes = 16 << 20;     // batches waiting for the writer, all files

  // Opens `path` for appending (created 0644). Throws InputError naming the path and the reason.
  explicit TraceLog(const std::string& path);
  ~TraceLog();  // hands over what is buffered
  TraceLog(const TraceLog&) = delete;
  TraceLog& operator=(const TraceLog&) = delete;

  // One line (without its newline); handed over when the batch is full.
  void add(std::string_view line);
  // Hands the batch over if it is old enough (`force`: whatever its age). Cheap when empty.
  void flush(bool force = false);
  bool buffered() const { return !batch_.empty(); }

  uint64_t written() const;  // lines in the file
  uint64_t dropped() const;  // lines lost: the writer was too far behind, or the file refused them

 private:
  std::shared_ptr<TraceFile> file_;
  std::string batch_;
  uint64_t batch_lines_ = 0;
  std::chrono::steady_clock::time_point batch_started_;
};

}  // namespace fixnet::rpc
