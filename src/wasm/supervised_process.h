// A child process that cannot outlive the thread that started it, nor leave grandchildren behind.
//
// A compiler driver (cc) runs its own children (cc1, as, ld); killing the driver alone would leave
// them running for minutes on a big unit. So the command runs in a process group of its own, under
// a supervisor — a forked copy of this process that does nothing but wait — which the kernel sends
// SIGTERM when the starting thread dies (PR_SET_PDEATHSIG: also when the whole process is killed,
// even by SIGKILL), and which then kills the whole group. The starting thread must wait for the
// result (run_supervised does), since its exit counts as the parent's death.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace fixnet::wasm {

// Runs `args` (args[0] an absolute path) with stdin from /dev/null and stdout and stderr to `log`,
// in the directory `cwd` (empty: this process's), and returns its wait status (as from waitpid).
// Throws EnvironmentError if it cannot be started.
int run_supervised(const std::vector<std::string>& args, const std::filesystem::path& log,
                   const std::filesystem::path& cwd = {});

}  // namespace fixnet::wasm
