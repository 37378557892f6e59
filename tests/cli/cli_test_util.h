// Helpers for the command-line tests: a fresh temporary directory per test, and running the real
// `fixnet` binary (FIXNET_BINARY) in it with FIXNET_DIR unset, capturing stdout, stderr and the
// exit code.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace fixnet::cli::testing {

namespace fs = std::filesystem;

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A directory under the system temp dir, removed (recursively) when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "fixnet-cli-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& s) const { return path_ / s; }

 private:
  fs::path path_;
};

// Runs `fixnet args…` with `cwd` as its working directory.
inline RunResult run_fixnet(const fs::path& cwd, const std::vector<std::string>& args) {
  TempDir capture;
  const std::string out_path = (capture / "stdout").string();
  const std::string err_path = (capture / "stderr").string();

  std::vector<std::string> argv_storage = {FIXNET_BINARY, "-C", cwd.string()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  // The environment, minus FIXNET_DIR: each test uses only the repository it creates. Compiled
  // procedures are shared by every test (FIXNET_CACHE_DIR in the build tree), so each compiles once.
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::string_view(*e).substr(0, 11) != "FIXNET_DIR=" &&
        std::string_view(*e).substr(0, 17) != "FIXNET_CACHE_DIR=")
      envp.push_back(*e);
  static std::string cache_env = std::string("FIXNET_CACHE_DIR=") + FIXNET_TEST_CACHE_DIR;
  envp.push_back(cache_env.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  pid_t pid;
  const int rc = posix_spawn(&pid, FIXNET_BINARY, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  RunResult result;
  if (rc != 0) {
    result.err = std::string("posix_spawn failed: ") + std::strerror(rc);
    return result;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

inline RunResult run_fixnet(const fs::path& cwd, std::initializer_list<std::string> args) {
  return run_fixnet(cwd, std::vector<std::string>(args));
}

// stdout without its trailing newline (a Name printed by a command).
inline std::string trimmed(const std::string& s) {
  std::string t = s;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

// The shape every failure must have: exit ≠ 0 and exactly one stderr line starting "fixnet: ".
inline ::testing::AssertionResult one_line_error(const RunResult& r) {
  if (r.code == 0) return ::testing::AssertionFailure() << "exit code 0; stderr: " << r.err;
  if (r.code >= 128) return ::testing::AssertionFailure() << "killed by a signal: " << r.code;
  if (r.err.rfind("fixnet: ", 0) != 0)
    return ::testing::AssertionFailure() << "stderr does not start with 'fixnet: ': " << r.err;
  if (r.err.empty() || r.err.back() != '\n' || r.err.find('\n') != r.err.size() - 1)
    return ::testing::AssertionFailure() << "stderr is not exactly one line: " << r.err;
  return ::testing::AssertionSuccess();
}

// A fresh directory with an initialized repository.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RunResult r = run_fixnet(dir_.path(), {"init"});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  RunResult fixnet(std::initializer_list<std::string> args) {
    return run_fixnet(dir_.path(), args);
  }
  RunResult fixnet(const std::vector<std::string>& args) { return run_fixnet(dir_.path(), args); }
  // Runs a command that must succeed and returns its stdout, trimmed.
  std::string ok(std::initializer_list<std::string> args) {
    RunResult r = fixnet(args);
    EXPECT_EQ(r.code, 0) << "stderr: " << r.err;
    return trimmed(r.out);
  }
  fs::path repo() const { return dir_.path() / ".fixnet"; }
  // The file holding a canonical object (docs/format.md: objects/<2 hex>/<62 hex>).
  fs::path object_file(const std::string& hex) const {
    return repo() / "objects" / hex.substr(0, 2) / hex.substr(2);
  }

  TempDir dir_;
};

}  // namespace fixnet::cli::testing
