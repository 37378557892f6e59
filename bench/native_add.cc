#include "bench/native_add.h"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "wasm/compiler.h"

extern char** environ;

namespace fixnet::bench {
namespace {

constexpr const char* kSource =
    "#include <stdlib.h>\n"
    "int main(int argc, char** argv) {\n"
    "  return argc == 3 ? (atoi(argv[1]) + atoi(argv[2])) & 255 : 255;\n"
    "}\n";

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw EnvironmentError(fmt::format("waitpid: {}", std::strerror(errno)));
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// argv of `add a b`, in buffers that outlive the call (vfork's child reads them before exec).
struct Args {
  Args(int a, int b) : x(std::to_string(a)), y(std::to_string(b)) {}
  char* const* argv() {
    v[0] = name;
    v[1] = x.data();
    v[2] = y.data();
    v[3] = nullptr;
    return v;
  }
  char name[4] = "add";
  std::string x, y;
  char* v[4];
};

}  // namespace

NativeAdd::NativeAdd(const std::filesystem::path& dir) {
  const std::filesystem::path source = dir / "native_add.c";
  program_ = (dir / "native_add").string();
  std::ofstream(source) << kSource;
  const wasm::CCompiler cc = wasm::find_c_compiler();
  const std::string cc_path = cc.path.string(), source_path = source.string();
  const char* argv[] = {cc_path.c_str(), "-O2", "-o", program_.c_str(), source_path.c_str(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], nullptr, nullptr, const_cast<char* const*>(argv), environ);
  if (rc != 0 || wait_for(pid) != 0)
    throw EnvironmentError(fmt::format("cannot compile the native add program with {}{}", cc_path,
                                       rc ? std::string(": ") + std::strerror(rc) : ""));
}

int NativeAdd::vfork_exec(int a, int b) const {
  Args args(a, b);
  char* const* argv = args.argv();
  const pid_t pid = ::vfork();
  if (pid == 0) {
    ::execve(program_.c_str(), argv, environ);
    ::_exit(127);
  }
  if (pid < 0) throw EnvironmentError(fmt::format("vfork: {}", std::strerror(errno)));
  return wait_for(pid);
}

int NativeAdd::posix_spawn(int a, int b) const {
  Args args(a, b);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, program_.c_str(), nullptr, nullptr, args.argv(), environ);
  if (rc != 0) throw EnvironmentError(fmt::format("posix_spawn: {}", std::strerror(rc)));
  return wait_for(pid);
}

}  // namespace fixnet::bench
