#include "wasm/toolchain.h"

#include <fcntl.h>
#include <malloc.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <wabt/config.h>
#include <wabt/ir.h>

#include <cstring>
#include <fstream>
#include <random>
#include <cstdlib>

#include "core/error.h"
#include "wasm/c_codegen.h"
#include "wasm/instrument.h"
#include "wasm/module_check.h"
#include "wasm/runtime_text.h"

namespace fixnet::wasm {
namespace {

namespace fs = std::filesystem;

std::string hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// Where generate_c cuts a module's C into units: $FIXNET_WASM_PART_KB (tests use a small one to
// split small modules) and $FIXNET_WASM_HUGE_KB, else the defaults (toolchain.h).
SplitLimits split_limits() {
  SplitLimits limits{kPartBytes, kHugeFunctionBytes};
  for (auto [name, field] : {std::pair{"FIXNET_WASM_PART_KB", &limits.part_bytes},
                             std::pair{"FIXNET_WASM_HUGE_KB", &limits.huge_function_bytes}}) {
    const char* kb = std::getenv(name);
    const long n = kb && *kb ? std::strtol(kb, nullptr, 10) : 0;
    if (n > 0) *field = static_cast<size_t>(n) * 1024;
  }
  return limits;
}

class FileLock {
 public:
  explicit FileLock(const fs::path& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0)
      throw EnvironmentError(
          fmt::format("cannot open lock file {}: {}", path.string(), std::strerror(errno)));
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR)
        throw EnvironmentError(fmt::format("cannot lock {}: {}", path.string(), std::strerror(errno)));
  }
  ~FileLock() { ::close(fd_); }  // closing releases the lock
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out.flush()) throw EnvironmentError(fmt::format("cannot write {} (is the disk full?)", path.string()));
}

void fsync_path(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

std::string unique_suffix() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{}.{:016x}", ::getpid(), rng());
}

}  // namespace

InstrumentedModule check_and_instrument(std::string_view bytes) {
  InstrumentedModule out;
  out.checked = check_module(bytes);
  check_data_segments(*out.checked.module);
  out.instrumented = instrument(*out.checked.module);
  return out;
}

GeneratedC translate_module(std::string_view bytes, const SplitLimits& limits) {
  InstrumentedModule m = check_and_instrument(bytes);
  return generate_c(std::move(m.checked.module), m.checked.facts, m.instrumented, limits);
}

Toolchain::Toolchain(fs::path cache_dir) : dir_(std::move(cache_dir) / "wasm") {}

void Toolchain::init() {
  std::call_once(init_once_, [this] {
    cc_ = find_c_compiler();
    struct utsname host {};
    ::uname(&host);
    limits_ = split_limits();
    std::string flags;
    for (const std::string& f : compile_flags()) flags += f + " ";
    flags += fmt::format("units of {} bytes, huge functions ({} bytes) with", limits_.part_bytes,
                         limits_.huge_function_bytes);
    for (const std::string& f : huge_unit_flags()) flags += " " + f;
    const auto glue_hash =
        sha256(std::string(abi_header_text()) + std::string(wasi_header_text()) +
                                     std::string(guest_header_text()) + std::string(glue_text()));
    version_ = fmt::format("wabt {}; codegen {}; cc {}; flags {}; glue {}; arch {}", WABT_VERSION_STRING,
                           kCodegenVersion, cc_.identity, flags, hex(std::span(glue_hash).first(8)), host.machine);
    const auto version_digest = sha256(version_);
    version_hash_ = hex(std::span(version_digest).first(8));
  });
}

const std::string& Toolchain::version() {
  init();
  return version_;
}

fs::path Toolchain::artifact_path(Name name) {
  init();
  return dir_ / (name.hex() + "-" + version_hash_ + ".so");
}

bool Toolchain::cached(Name name) {
  std::error_code ec;
  return fs::exists(artifact_path(name), ec);
}

fs::path Toolchain::artifact(Name name, const std::function<BlobData()>& bytes) {
  const fs::path path = artifact_path(name);
  const std::string key = path.stem().string();
  std::error_code ec;
  if (fs::exists(path, ec)) {
    stats_.cache_hits.fetch_add(1, std::memory_order_relaxed);
    return path;
  }
  fs::create_directories(dir_ / "locks", ec);
  fs::create_directories(dir_ / "tmp", ec);
  if (ec)
    throw EnvironmentError(
        fmt::format("cannot create the artifact cache {}: {}", dir_.string(), ec.message()));
  FileLock lock(dir_ / "locks" / (key + ".lock"));
  if (fs::exists(path, ec)) {  // another process compiled it while this one waited for the lock
    stats_.cache_hits.fetch_add(1, std::memory_order_relaxed);
    return path;
  }
  BlobData data = bytes();
  compile(name, *data, path);
  stats_.compiled.fetch_add(1, std::memory_order_relaxed);
  return path;
}

void Toolchain::compile(Name name, std::string_view bytes, const fs::path& artifact) {
  GeneratedC c = translate_module(bytes, limits_);  // ProcedureError here is the module's own fault

  const fs::path work = dir_ / "tmp" / (name.short_hex(16) + "." + unique_suffix());
  std::error_code ec;
  fs::create_directories(work, ec);
  if (ec) throw EnvironmentError(fmt::format("cannot create {}: {}", work.string(), ec.message()));
  struct Cleanup {  // $FIXNET_KEEP_C keeps the C (to look into a failing compile)
    fs::path dir;
    ~Cleanup() {
      const char* keep = std::getenv("FIXNET_KEEP_C");
      std::error_code ignored;
      if (!keep || !*keep) fs::remove_all(dir, ignored);
    }
  } cleanup{work};

  write_file(work / kGeneratedHeaderName, c.header);
  write_file(work / "fixnet_abi.h", abi_header_text());
  write_file(work / "wasi_abi.h", wasi_header_text());
  fs::create_directories(work / "fixnet", ec);
  write_file(work / "fixnet" / "guest.h", guest_header_text());
  write_file(work / kDataImageName, c.data_image);
  write_file(work / "module.c", c.source);
  std::vector<CompileUnit> units = {{work / "module.c"}};
  if (!c.parts.empty()) write_file(work / kSharedHeaderName, c.shared);
  for (size_t i = 0; i < c.parts.size(); ++i) {
    units.push_back({work / fmt::format("part{}.c", i), c.parts[i].huge, /*cacheable=*/true});
    write_file(units.back().source, c.parts[i].text);
  }
  c = GeneratedC{};  // hundreds of MB for a big module: not kept while the compilers run
  ::malloc_trim(0);   // nor the GBs the IR took, which glibc would otherwise keep for this process
  const fs::path object = work / "module.so";
  CompileProgress progress;
  if (progress_ && units.size() > 1)
    progress = [&](uint64_t done, uint64_t total) { progress_(name, done, total); };
  if (progress) progress(0, units.size() + 1);
  compile_shared_object(cc_, units, object, progress);
  fsync_path(object);
  fs::rename(object, artifact, ec);
  if (ec) throw EnvironmentError(fmt::format("cannot store {}: {}", artifact.string(), ec.message()));
  fsync_path(dir_);
}

}  // namespace fixnet::wasm
