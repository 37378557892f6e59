#include "wasm/compiler.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "wasm/sandbox_limits.h"

extern char** environ;

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

}  // namespace

CCompiler find_c_compiler() {
  const char* override_cc = std::getenv("FIXNET_CC");
  const std::string name = override_cc && *override_cc ? override_cc : "cc";
  fs::path found;
  if (name.find('/') != std::string::npos) {
    found = name;
  } else {
    const char* path_env = std::getenv("PATH");
    std::istringstream dirs(path_env ? path_env : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) {
        found = candidate;
        break;
      }
    }
  }
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

void compile_shared_object(const CCompiler& cc, const fs::path& source, const fs::path& output) {
  const fs::path log = output.string() + ".log";
  std::vector<std::string> args = {cc.path.string()};
  for (std::string& flag : compile_flags()) args.push_back(std::move(flag));
  args.push_back("-I" + source.parent_path().string());
  args.push_back("-Wa,-I" + source.parent_path().string());  // .incbin of the data image (c_codegen.h)
  args.push_back("-o");
  args.push_back(output.string());
  args.push_back(source.string());
  args.push_back("-lm");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, cc.path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0)
    throw EnvironmentError(
        fmt::format("could not run the C compiler {}: {}", cc.path.string(), std::strerror(spawn_error)));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      throw EnvironmentError(fmt::format("waiting for the C compiler: {}", std::strerror(errno)));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;

  const std::string output_text = read_text(log, 64 * 1024);
  std::string why = first_error_line(output_text);
  if (output_text.find("stack usage") != std::string::npos)
    why = fmt::format("a function needs a native stack frame over {} bytes with this compiler ({})",
                      kMaxFrameBytes, why);
  throw EnvironmentError(fmt::format("the C compiler {} failed on a generated procedure: {}{}",
                                     cc.path.string(), why,
                                     WIFSIGNALED(status) ? " (killed by a signal)" : ""));
}

}  // namespace fixnet::wasm
