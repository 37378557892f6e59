// Progress: a one-line progress bar on stderr for long-running commands (add, gc, fsck).
//
// It draws only when stderr is a terminal, so pipes, logs and tests see nothing; it waits a moment
// before the first draw (short commands never flash a bar), redraws at most ten times a second, and
// erases itself when finished or destroyed. update() may be called from many threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace fixnet::cli {

class Progress {
 public:
  enum class Unit { Count, Bytes };

  // `enabled` defaults to "stderr is a terminal".
  explicit Progress(std::string label, Unit unit = Unit::Count);
  Progress(std::string label, Unit unit, bool enabled);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // done of total units (total 0: unknown). Cheap when nothing needs drawing.
  void update(uint64_t done, uint64_t total);
  // Erases the bar; later updates are ignored.
  void finish();

  bool enabled() const { return enabled_; }

 private:
  void draw(uint64_t done, uint64_t total);  // with mutex_ held

  std::string label_;
  Unit unit_;
  bool enabled_;
  bool drawn_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex mutex_;
};

}  // namespace fixnet::cli
