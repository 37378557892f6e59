#include "wasm/supervised_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

extern char** environ;

namespace fixnet::wasm {
namespace {

// The supervisor's SIGTERM (its parent died): the group is the supervisor and everything below it.
void kill_group(int) {
  ::kill(0, SIGKILL);
  ::_exit(128 + SIGKILL);
}

// In the forked supervisor. The parent has threads, so only async-signal-safe calls from here on.
[[noreturn]] void supervise(char* const* argv, const char* log, const char* cwd, pid_t parent) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);  // the starting thread may block signals (servers do)
  struct sigaction on_term {};
  on_term.sa_handler = kill_group;
  sigaction(SIGTERM, &on_term, nullptr);
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) kill_group(0);  // the parent died before the line above

  const pid_t self = ::getpid();
  const pid_t child = ::fork();
  if (child == 0) {
    // Should the supervisor itself be killed outright, the command (at least) goes with it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != self) ::_exit(126);
    const int out = ::open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || in < 0 || ::dup2(in, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 ||
        ::dup2(out, STDERR_FILENO) < 0 || (*cwd && ::chdir(cwd) != 0))
      ::_exit(126);
    ::execve(argv[0], argv, environ);
    ::_exit(127);
  }
  if (child < 0) ::_exit(126);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0)
    if (errno != EINTR) ::_exit(126);
  if (WIFSIGNALED(status)) {  // pass the signal on, so the caller sees how the command ended
    ::signal(WTERMSIG(status), SIG_DFL);
    ::kill(::getpid(), WTERMSIG(status));
  }
  ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 126);
}

}  // namespace

int run_supervised(const std::vector<std::string>& args, const std::filesystem::path& log,
                   const std::filesystem::path& cwd) {
  std::vector<std::string> owned = args;
  std::vector<char*> argv;
  for (std::string& a : owned) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log_path = log.string(), cwd_path = cwd.string();
  const pid_t self = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0)
    throw EnvironmentError(fmt::format("could not start {}: fork: {}", args.front(), std::strerror(errno)));
  if (pid == 0) supervise(argv.data(), log_path.c_str(), cwd_path.c_str(), self);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      throw EnvironmentError(fmt::format("waiting for {}: {}", args.front(), std::strerror(errno)));
  return status;
}

}  // namespace fixnet::wasm
