// `fixnet bench hash`: what computing a Name costs over hashing the bytes.
//
// fixnet: Name::blob_name (SHA-256 through OpenSSL, truncated, plus the layout's metadata).
// Baselines, on the very same buffers: OpenSSL's one-shot SHA256() (the call name.cc makes), and
// the fastest way OpenSSL offers — a SHA-256 EVP_MD fetched once and one EVP_MD_CTX reused — since
// any cost fixnet adds over that, including its choice of entry point, is overhead of fixnet's.
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>
#include <string>

#include "bench/harness.h"
#include "core/error.h"
#include "core/name.h"

namespace fixnet::bench {
namespace {

// Incompressible, reproducible bytes (splitmix64), so no buffer is special to anyone.
std::string random_bytes(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (size_t b = 0; b < 8 && i + b < n; ++b) out[i + b] = static_cast<char>(z >> (8 * b));
  }
  return out;
}

// A reused SHA-256 context: what a hashing loop that cares about speed does with OpenSSL 3.
class EvpSha256 {
 public:
  EvpSha256() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (!md_ || !ctx_) throw EnvironmentError("OpenSSL has no SHA-256 here (EVP_MD_fetch failed)");
  }
  void hash(std::string_view bytes, unsigned char* out) {
    if (EVP_DigestInit_ex(ctx_.get(), md_.get(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1 ||
        EVP_DigestFinal_ex(ctx_.get(), out, nullptr) != 1)
      throw EnvironmentError("OpenSSL SHA-256 digest failed");
  }

 private:
  struct FreeMd {
    void operator()(EVP_MD* md) const { EVP_MD_free(md); }
  };
  struct FreeCtx {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD, FreeMd> md_;
  std::unique_ptr<EVP_MD_CTX, FreeCtx> ctx_;
};

struct Size {
  std::string label;
  size_t bytes;
  size_t buffers;  // enough to defeat nothing but the branch predictor; all stay cache-resident
};

}  // namespace

Report hash_benchmark(const Options& options) {
  Report report;
  const size_t min_rounds = options.quick ? 3 : 7;
  const double slice = measured_seconds(options) / static_cast<double>(min_rounds);
  const std::vector<Size> sizes = {{"1KiB", 1024, 256}, {"1MiB", 1 << 20, 4}};
  EvpSha256 evp;

  for (const Size& size : sizes) {
    progress(fmt::format("hash: {} buffers", size.label));
    std::vector<std::string> buffers;
    for (size_t i = 0; i < size.buffers; ++i) buffers.push_back(random_bytes(size.bytes, i + 1));
    const uint64_t pass_bytes = size.bytes * size.buffers;

    // Each sample: MB/s over one slice, hashing the buffer set again and again.
    auto measure = [&](auto hash_one) {
      return [&, hash_one]() mutable {
        const Clock::time_point start = Clock::now();
        double bytes_per_second = rate(slice, [&] {
          for (const std::string& b : buffers) hash_one(b);
          return pass_bytes;
        });
        return Sample{bytes_per_second / 1e6, seconds_between(start, Clock::now())};
      };
    };
    auto samples = interleave(
        {
            measure([](const std::string& b) { keep(Name::blob_name(b)); }),
            measure([](const std::string& b) {
              unsigned char digest[SHA256_DIGEST_LENGTH];
              SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), digest);
              keep(digest);
            }),
            measure([&evp](const std::string& b) {
              unsigned char digest[SHA256_DIGEST_LENGTH];
              evp.hash(b, digest);
              keep(digest);
            }),
        },
        min_rounds, measured_seconds(options));
    const auto& name = samples[0];
    const auto& sha = samples[1];
    const auto& ctx = samples[2];
    // Overheads from per-round pairs: bare rate / fixnet rate - 1 = fixnet time / bare time - 1.
    // "The" overhead is against the faster bare loop, chosen by median: picking the faster one per
    // round would pick favourable noise and bias the overhead up.
    const bool evp_faster = median(ctx) >= median(sha);
    const std::string n = "name_" + size.label, s = "sha256_" + size.label, e = "evp_" + size.label;
    report.add({n, median(name), "MB/s", e, median(quotients(name, ctx))});
    report.add({s, median(sha), "MB/s", e, median(quotients(sha, ctx))});
    report.add({e, median(ctx), "MB/s", "", std::nullopt});
    const double vs_sha = median(quotients(sha, name)) - 1;
    const double vs_evp = median(quotients(ctx, name)) - 1;
    report.add_ratio("overhead_" + size.label, evp_faster ? vs_evp : vs_sha, true);
    report.add_ratio("overhead_" + size.label + "_vs_sha256", vs_sha, true);
    report.add_ratio("overhead_" + size.label + "_vs_evp", vs_evp, true);
    report.targets.push_back({"name_overhead_" + size.label, "overhead_" + size.label, 0.10});
    report.inputs[size.label] = {{"bytes", size.bytes}, {"buffers", size.buffers}};
  }
  report.method = fmt::format(
      "The same random buffers are hashed by Name::blob_name (name_*), by OpenSSL's one-shot "
      "SHA256() (sha256_*) and by a SHA-256 EVP_MD fetched once with one reused EVP_MD_CTX "
      "(evp_*). The three measurements run interleaved, in at least {} rounds whose order "
      "alternates, each sample hashing the whole buffer set repeatedly for {:.3g} s; each row is "
      "the median sample in MB/s (10^6 bytes). overhead_SIZE_vs_X = median over rounds of (X rate "
      "/ fixnet rate) - 1, pairing samples of the same round; overhead_SIZE is the one against "
      "the bare loop with the higher median rate. Row ratios are rate / evp rate.",
      min_rounds, slice);
  return report;
}

}  // namespace fixnet::bench
