#include "bench/native_program.h"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

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

// argv of a run, in buffers that outlive the call (vfork's child reads them before exec).
struct Args {
  Args(const std::string& name, const std::vector<std::string>& args) : storage(args) {
    storage.insert(storage.begin(), name);
    for (std::string& a : storage) v.push_back(a.data());
    v.push_back(nullptr);
  }
  char* const* argv() { return v.data(); }
  std::vector<std::string> storage;
  std::vector<char*> v;
};

}  // namespace

std::string_view native_add_source() { return kSource; }

NativeProgram::NativeProgram(const std::filesystem::path& dir, const std::string& name, std::string_view text)
    : name_(name) {
  const std::filesystem::path source = dir / (name + ".c");
  program_ = (dir / name).string();
  std::ofstream(source) << text;
  const wasm::CCompiler cc = wasm::find_c_compiler();
  const std::string cc_path = cc.path.string(), source_path = source.string();
  const char* argv[] = {cc_path.c_str(), "-O2", "-o", program_.c_str(), source_path.c_str(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], nullptr, nullptr, const_cast<char* const*>(argv), environ);
  if (rc != 0 || wait_for(pid) != 0)
    throw EnvironmentError(fmt::format("cannot compile the native {} program with {}{}", name, cc_path,
                                       rc ? std::string(": ") + std::strerror(rc) : ""));
  dev_null_ = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (dev_null_ < 0) throw EnvironmentError(fmt::format("cannot open /dev/null: {}", std::strerror(errno)));
}

NativeProgram::~NativeProgram() {
  if (dev_null_ >= 0) ::close(dev_null_);
}

int NativeProgram::vfork_exec(const std::vector<std::string>& args) const {
  Args a(name_, args);
  char* const* argv = a.argv();
  const int out = dev_null_;
  const pid_t pid = ::vfork();
  if (pid == 0) {
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execve(program_.c_str(), argv, environ);
    ::_exit(127);
  }
  if (pid < 0) throw EnvironmentError(fmt::format("vfork: {}", std::strerror(errno)));
  return wait_for(pid);
}

int NativeProgram::posix_spawn(const std::vector<std::string>& args) const {
  Args a(name_, args);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, dev_null_, 1);
  posix_spawn_file_actions_adddup2(&actions, dev_null_, 2);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, program_.c_str(), &actions, nullptr, a.argv(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw EnvironmentError(fmt::format("posix_spawn: {}", std::strerror(rc)));
  return wait_for(pid);
}

}  // namespace fixnet::bench
