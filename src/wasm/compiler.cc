#include "wasm/compiler.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <mutex>
#include <semaphore>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "wasm/sandbox_limits.h"
#include "wasm/supervised_process.h"

namespace fixnet::wasm {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string text(max_bytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(max_bytes));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

// The compiler's first error line (or its first line), for a one-line message.
std::string first_error_line(const std::string& log) {
  std::istringstream lines(log);
  std::string line, first;
  while (std::getline(lines, line)) {
    if (first.empty() && !line.empty()) first = line;
    if (line.find("error") != std::string::npos) return line;
  }
  return first.empty() ? "no output" : first;
}


// At most compile_jobs() compilers at once, across every compile of the process.
class CompileSlot {
 public:
  CompileSlot() { slots().acquire(); }
  ~CompileSlot() { slots().release(); }
  CompileSlot(const CompileSlot&) = delete;
  CompileSlot& operator=(const CompileSlot&) = delete;

 private:
  static std::counting_semaphore<>& slots() {
    static std::counting_semaphore<> s(compile_jobs());
    return s;
  }
};

std::vector<std::string> include_flags(const fs::path& source) {
  const std::string dir = source.has_parent_path() ? source.parent_path().string() : ".";
  return {"-I" + dir, "-Wa,-I" + dir};  // .incbin of the data image (c_codegen.h)
}

// Runs one compiler command; throws EnvironmentError with its first error line if it fails.
// `what` names the unit (or the link) in the message.
void check_compiler_status(const CCompiler& cc, int status, const fs::path& log, std::string_view what) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  const std::string output_text = read_text(log, 64 * 1024);
  std::string why = first_error_line(output_text);
  if (output_text.find("stack usage") != std::string::npos)
    why = fmt::format("a function needs a native stack frame over {} bytes with this compiler ({})",
                      kMaxFrameBytes, why);
  throw EnvironmentError(fmt::format("the C compiler {} failed on a generated procedure ({}): {}{}",
                                     cc.path.string(), what, why,
                                     WIFSIGNALED(status) ? " (killed by a signal)" : ""));
}

void run_compiler(const CCompiler& cc, const std::vector<std::string>& args, const fs::path& log,
                  std::string_view what) {
  check_compiler_status(cc, run_supervised(args, log), log, what);
}

// `name` (a path when it holds a '/') as found on PATH; empty if it is not there.
fs::path find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path_env = std::getenv("PATH");
  std::istringstream dirs(path_env ? path_env : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

const fs::path& ccache() {
  static const fs::path found = find_program("ccache");
  return found;
}

}  // namespace

CCompiler find_c_compiler() {
  const char* override_cc = std::getenv("FIXNET_CC");
  const std::string name = override_cc && *override_cc ? override_cc : "cc";
  const fs::path found = find_program(name);
  std::error_code ec;
  fs::path resolved = found.empty() ? fs::path() : fs::canonical(found, ec);
  struct stat st {};
  if (found.empty() || ec || ::stat(resolved.c_str(), &st) != 0)
    throw EnvironmentError(fmt::format(
        "no C compiler '{}' found on PATH; Wasm procedures are compiled with the system C compiler "
        "(install gcc with scripts/setup, or set FIXNET_CC)",
        name));
  return CCompiler{resolved, fmt::format("{} size {} mtime {}", resolved.string(), st.st_size, st.st_mtime)};
}

std::vector<std::string> compile_flags() {
  return {"-std=gnu11", "-O2", "-fPIC", "-shared", "-fvisibility=hidden",
          // A unit that calls a function it does not declare must not compile (int would be assumed).
          "-Werror=implicit-function-declaration",
          // Floating point exactly as written: no contraction into fused multiply-adds.
          "-ffp-contract=off",
          // Explicit bounds checks (no guard pages, no signal handler) and wasm2c's depth counting.
          "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0",
          fmt::format("-DWASM_RT_MAX_CALL_STACK_DEPTH={}", kMaxCallDepth),
          // Depth × frame must fit the guest stack: refuse frames that would not.
          fmt::format("-Werror=stack-usage={}", kMaxFrameBytes),
          // Every symbol resolved inside the object: it must not bind to anything of the host.
          "-Wl,-z,defs", "-Wl,--as-needed"};
}

std::vector<std::string> huge_unit_flags() { return {"-O1"}; }

unsigned compile_jobs() {
  const char* jobs = std::getenv("FIXNET_COMPILE_JOBS");
  if (jobs && *jobs) {
    const long n = std::strtol(jobs, nullptr, 10);
    if (n > 0) return static_cast<unsigned>(n);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

void compile_shared_object(const CCompiler& cc, const std::vector<CompileUnit>& units, const fs::path& output,
                           const CompileProgress& progress) {
  if (units.size() == 1) {
    std::vector<std::string> args = {cc.path.string()};
    for (std::string& flag : compile_flags()) args.push_back(std::move(flag));
    for (std::string& flag : include_flags(units[0].source)) args.push_back(std::move(flag));
    args.insert(args.end(), {"-o", output.string(), units[0].source.string(), "-lm"});
    CompileSlot slot;
    run_compiler(cc, args, output.string() + ".log", units[0].source.filename().string());
    return;
  }

  // Each unit into an object file, at most compile_jobs() compilers at once (counted process-wide);
  // the first failure stops units not yet started.
  std::vector<std::string> unit_flags;
  for (std::string& flag : compile_flags())
    if (flag != "-shared" && !flag.starts_with("-Wl,")) unit_flags.push_back(std::move(flag));
  const uint64_t total = units.size() + 1;
  std::atomic<uint64_t> done{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::exception_ptr failure;
  std::vector<fs::path> objects;
  for (const CompileUnit& unit : units) objects.push_back(fs::path(unit.source).replace_extension(".o"));
  {
    std::vector<std::jthread> threads;
    for (size_t i = 0; i < units.size(); ++i)
      threads.emplace_back([&, i] {
        CompileSlot slot;
        if (failed.load()) return;
        const CompileUnit& unit = units[i];
        auto command = [&](bool cached) {
          std::vector<std::string> args = {cc.path.string()};
          if (cached) args.insert(args.begin(), ccache().string());
          args.insert(args.end(), unit_flags.begin(), unit_flags.end());
          if (unit.huge)
            for (std::string& flag : huge_unit_flags()) args.push_back(std::move(flag));
          // Relative names in the unit's directory: what ccache hashes is the same in every work dir.
          const fs::path source = cached ? unit.source.filename() : unit.source;
          for (std::string& flag : include_flags(source)) args.push_back(std::move(flag));
          const fs::path object = cached ? objects[i].filename() : objects[i];
          args.insert(args.end(), {"-c", "-o", object.string(), source.string()});
          return args;
        };
        const std::string log = objects[i].string() + ".log", what = unit.source.filename().string();
        try {
          if (!unit.cacheable || ccache().empty()) {
            run_compiler(cc, command(false), log, what);
          } else {
            const int status = run_supervised(command(true), log, unit.source.parent_path());
            // ccache failing for a reason of its own ("ccache: error: …") costs one more compile,
            // never the artifact; the compiler's own refusal is reported as it is.
            if (status != 0 && read_text(log, 64 * 1024).find("ccache: error") != std::string::npos)
              run_compiler(cc, command(false), log, what);
            else
              check_compiler_status(cc, status, log, what);
          }
        } catch (...) {
          std::lock_guard lock(mutex);
          if (!failure) failure = std::current_exception();
          failed = true;
          return;
        }
        const uint64_t now = done.fetch_add(1) + 1;
        if (progress) {
          std::lock_guard lock(mutex);
          progress(now, total);
        }
      });
  }
  if (failure) std::rethrow_exception(failure);

  std::vector<std::string> args = {cc.path.string(), "-shared", "-fPIC"};
  for (std::string& flag : compile_flags())
    if (flag.starts_with("-Wl,")) args.push_back(std::move(flag));
  args.insert(args.end(), {"-o", output.string()});
  for (const fs::path& object : objects) args.push_back(object.string());
  args.push_back("-lm");
  {
    CompileSlot slot;
    run_compiler(cc, args, output.string() + ".log", "the link");
  }
  if (progress) progress(total, total);
}

}  // namespace fixnet::wasm
