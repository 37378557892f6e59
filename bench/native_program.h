// The process baselines of `fixnet bench invoke` and `fixnet bench flatware`: a C program compiled
// when the benchmark starts with the system C compiler (the one the Wasm toolchain uses: $FIXNET_CC
// or cc, -O2), started once per call with vfork+exec or with posix_spawn and waited for. Its stdout
// and stderr go to /dev/null.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace fixnet::bench {

class NativeProgram {
 public:
  // Compiles `source` into `dir`/`name`. Throws EnvironmentError when there is no compiler or it fails.
  NativeProgram(const std::filesystem::path& dir, const std::string& name, std::string_view source);
  ~NativeProgram();
  NativeProgram(const NativeProgram&) = delete;
  NativeProgram& operator=(const NativeProgram&) = delete;

  // One run of the program with `args` (argv[1…]); returns its exit code.
  int vfork_exec(const std::vector<std::string>& args) const;
  int posix_spawn(const std::vector<std::string>& args) const;

 private:
  std::string program_;
  std::string name_;
  int dev_null_ = -1;
};

// A native program adding two numbers: its exit code is (a + b) mod 256 (invoke's baseline).
std::string_view native_add_source();

}  // namespace fixnet::bench
