#include "rpc/trace_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "net/log.h"
#include "net/unique_fd.h"

namespace fixnet::rpc {

struct TraceFile {
  std::string path;
  net::UniqueFd fd;
  std::atomic<uint64_t> written{0}, dropped{0};
  std::atomic<bool> failing{false};  // logged once until a write succeeds again
};

namespace {

// The process's one trace writer: batches in order, written by a detached thread that lives as long
// as the process (a runtime's engine may hand a batch over at exit).
class TraceWriter {
 public:
  static TraceWriter& instance() {
    static TraceWriter* writer = new TraceWriter();  // never destroyed: its thread may still run at exit
    return *writer;
  }

  void submit(std::shared_ptr<TraceFile> file, std::string batch, uint64_t lines) {
    {
      std::lock_guard lock(mutex_);
      if (queued_bytes_ + batch.size() <= TraceLog::kMaxQueuedBytes) {
        queued_bytes_ += batch.size();
        queue_.push_back({std::move(file), std::move(batch), lines});
        ready_.notify_one();
        return;
      }
    }
    file->dropped += lines;
  }

 private:
  struct Batch {
    std::shared_ptr<TraceFile> file;
    std::string bytes;
    uint64_t lines;
  };

  TraceWriter() { std::thread([this] { run(); }).detach(); }

  void run() {
    for (;;) {
      Batch b;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return !queue_.empty(); });
        b = std::move(queue_.front());
        queue_.pop_front();
        queued_bytes_ -= b.bytes.size();
      }
      write(b);
    }
  }

  static void write(const Batch& b) {
    size_t at = 0;
    while (at < b.bytes.size()) {
      const ssize_t n = ::write(b.file->fd.get(), b.bytes.data() + at, b.bytes.size() - at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        // Whole lines already written count as written; the rest is dropped.
        const uint64_t lost = std::count(b.bytes.begin() + static_cast<std::ptrdiff_t>(at), b.bytes.end(), '\n');
        b.file->written += b.lines - lost;
        b.file->dropped += lost;
        if (!b.file->failing.exchange(true))
          net::log(net::LogLevel::kWarning, "rpc", "metrics trace {}: {}; trace lines are dropped (counted in "
                   "trace_dropped) until writes succeed again", b.file->path, n < 0 ? std::strerror(errno) : "no progress");
        return;
      }
      at += static_cast<size_t>(n);
    }
    b.file->written += b.lines;
    b.file->failing = false;
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Batch> queue_;
  size_t queued_bytes_ = 0;
};

}  // namespace

TraceLog::TraceLog(const std::string& path) : file_(std::make_shared<TraceFile>()) {
  file_->path = path;
  file_->fd = net::UniqueFd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644));
  if (file_->fd.get() < 0)
    throw InputError("metrics config: trace=" + one_line(path) + ": cannot open it for appending (" +
                     std::strerror(errno) + "); give a file the service's user can write");
}

TraceLog::~TraceLog() { flush(true); }

void TraceLog::add(std::string_view line) {
  if (batch_.empty()) batch_started_ = std::chrono::steady_clock::now();
  batch_.append(line);
  batch_ += '\n';
  ++batch_lines_;
  if (batch_.size() >= kBatchBytes) flush(true);
}

void TraceLog::flush(bool force) {
  if (batch_.empty() || (!force && std::chrono::steady_clock::now() - batch_started_ < kBatchAge)) return;
  TraceWriter::instance().submit(file_, std::move(batch_), batch_lines_);
  batch_.clear();
  batch_lines_ = 0;
}

uint64_t TraceLog::written() const { return file_->written.load(); }
uint64_t TraceLog::dropped() const { return file_->dropped.load(); }

}  // namespace fixnet::rpc
