// A fresh directory under $TMPDIR (default /tmp), removed with everything in it when the object goes:
// the benchmarks' compile cache and native programs live there, so no earlier cache helps a run and a
// run leaves nothing behind.
#pragma once

#include <filesystem>

namespace fixnet::bench {

class TempDir {
 public:
  TempDir();  // throws EnvironmentError when the directory cannot be made
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace fixnet::bench
