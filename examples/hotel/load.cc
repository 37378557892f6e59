// hotel-load URL --rate R --duration S [--workers N] [--json]: an open-loop load generator for the
// hotel frontend. Request k is due at start + k/R whatever happened to earlier ones (wrk is closed
// loop: it waits for an answer before the next request, so it cannot hold a fixed rate); its latency
// is measured from when it was due, so a slow answer also counts against the requests queued behind
// it. The mix is DeathStarBench's: 60% /hotels, 39% /recommendations, 0.5% /user, 0.5% /reservation.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dataset.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string request_path(uint64_t k) {
  std::mt19937_64 rng(k * 0x9E3779B97F4A7C15ULL + 1);
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const long in = hotel::day_number("2026-04-01") + pick(0, 20);
  const std::string in_date = hotel::date_of(in), out_date = hotel::date_of(in + pick(1, 5));
  const std::string point = "&lat=" + std::to_string(37.7749 + uniform(-0.04, 0.04)) +
                            "&lon=" + std::to_string(-122.4194 + uniform(-0.05, 0.05));
  const double which = uniform(0, 1);
  const int user = pick(0, hotel::kUsers);
  const std::string login = "username=" + hotel::user_name(user) + "&password=" + hotel::user_password(user);
  if (which < 0.6) return "/hotels?inDate=" + in_date + "&outDate=" + out_date + point;
  if (which < 0.99) {
    static const char* kinds[] = {"dis", "rate", "price"};
    return std::string("/recommendations?require=") + kinds[pick(0, 2)] + point;
  }
  if (which < 0.995) return "/user?" + login;
  return "/reservation?" + login + "&inDate=" + in_date + "&outDate=" + out_date + point +
         "&hotelId=" + std::to_string(pick(1, hotel::kHotels)) + "&customerName=" + hotel::user_name(user) + "&number=1";
}

int usage(const char* why) {
  std::fprintf(stderr, "hotel-load: %s\nusage: hotel-load URL --rate PER_SECOND --duration SECONDS [--workers N] [--json]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage("no URL");
  const std::string url = argv[1];
  double rate = 0, duration = 0;
  int workers = 32;
  bool json = false;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--json") json = true;
    else if (i + 1 >= argc) return usage((flag + " needs a value").c_str());
    else if (flag == "--rate") rate = std::atof(argv[++i]);
    else if (flag == "--duration") duration = std::atof(argv[++i]);
    else if (flag == "--workers") workers = std::atoi(argv[++i]);
    else return usage(("unknown option " + flag).c_str());
  }
  if (rate <= 0 || duration <= 0 || workers < 1) return usage("--rate, --duration and --workers must be positive");

  const auto total = static_cast<uint64_t>(rate * duration);
  std::vector<double> latency_us(total, -1);
  std::atomic<uint64_t> next{0}, failed{0}, statuses[6] = {};
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(50);
  auto worker = [&] {
    httplib::Client client(url);
    client.set_keep_alive(true);
    for (uint64_t k; (k = next++) < total;) {
      const auto due = start + std::chrono::nanoseconds(static_cast<int64_t>(1e9 * static_cast<double>(k) / rate));
      std::this_thread::sleep_until(due);
      auto res = client.Get(request_path(k));
      latency_us[k] = std::chrono::duration<double, std::micro>(Clock::now() - due).count();
      if (!res) ++failed;
      else ++statuses[std::min(res->status / 100, 5)];
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<double> sorted(latency_us);
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (double v : sorted) sum += v;
  auto at = [&](double q) { return sorted.empty() ? 0 : sorted[std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()))]; };
  const double mean = sorted.empty() ? 0 : sum / static_cast<double>(sorted.size());
  // 2xx answers and the app's own refusals (401 wrong password, 409 full) are answers; 5xx and
  // connection failures are errors.
  const uint64_t errors = failed + statuses[5];
  if (json) {
    std::printf("{\"requests\":%lu,\"rate\":%.1f,\"achieved_rate\":%.1f,\"mean_us\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
                "\"max_us\":%.1f,\"status_2xx\":%lu,\"status_4xx\":%lu,\"errors\":%lu}\n",
                total, rate, static_cast<double>(total) / elapsed, mean, at(0.5), at(0.99), at(1), statuses[2].load(),
                statuses[4].load(), errors);
  } else {
    std::printf("requests %lu at %.0f/s (achieved %.0f/s): mean %.0f us, p50 %.0f us, p99 %.0f us, max %.0f us; "
                "2xx %lu, 4xx %lu, errors %lu\n",
                total, rate, static_cast<double>(total) / elapsed, mean, at(0.5), at(0.99), at(1), statuses[2].load(),
                statuses[4].load(), errors);
  }
  return errors == 0 ? 0 : 1;
}
