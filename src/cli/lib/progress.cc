#include "cli/lib/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "cli/lib/text.h"

namespace fixnet::cli {
namespace {

using namespace std::chrono_literals;
constexpr auto kFirstDrawDelay = 300ms;  // commands faster than this never show a bar
constexpr auto kRedrawInterval = 100ms;
constexpr int kBarWidth = 30;

std::string amount(uint64_t n, Progress::Unit unit) {
  return unit == Progress::Unit::Bytes ? human_bytes(n) : fmt::format("{}", n);
}

}  // namespace

Progress::Progress(std::string label, Unit unit)
    : Progress(std::move(label), unit, isatty(STDERR_FILENO) == 1) {}

Progress::Progress(std::string label, Unit unit, bool enabled)
    : label_(std::move(label)),
      unit_(unit),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { finish(); }

void Progress::update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  // A busy worker must not wait for the terminal: skip this update if another thread is drawing.
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - start_ < kFirstDrawDelay) return;
  if (drawn_ && now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  draw(done, total);
}

void Progress::draw(uint64_t done, uint64_t total) {
  std::string line = label_ + " ";
  if (total > 0) {
    const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    const int filled = static_cast<int>(fraction * kBarWidth);
    line += "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "] ";
    line +=
        fmt::format("{:3.0f}% {}/{}", fraction * 100, amount(done, unit_), amount(total, unit_));
  } else {
    line += amount(done, unit_);
  }
  // \r returns to the start of the line, \033[K clears what a longer earlier line left behind.
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (drawn_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
}

}  // namespace fixnet::cli
