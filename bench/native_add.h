// The process baselines of `fixnet bench invoke`: a native program adding two u8 (its exit code is the
// sum), compiled when the benchmark starts with the system C compiler (the one the Wasm toolchain
// uses: $FIXNET_CC or cc), and started once per call with vfork+exec or with posix_spawn.
#pragma once

#include <filesystem>
#include <string>

namespace fixnet::bench {

class NativeAdd {
 public:
  // Compiles the program into `dir`. Throws EnvironmentError when there is no compiler or it fails.
  explicit NativeAdd(const std::filesystem::path& dir);

  // One run of `add a b` each, waited for; returns its exit code, (a + b) mod 256.
  int vfork_exec(int a, int b) const;
  int posix_spawn(int a, int b) const;

 private:
  std::string program_;
};

}  // namespace fixnet::bench
