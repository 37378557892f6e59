// Helpers shared by the repository tests: temporary directories, tmpfs mounts, file surgery.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "core/name.h"

namespace fixnet::testing {

namespace fs = std::filesystem;

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/fixnet-repository-test-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    if (!made) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A small tmpfs mounted on a fresh directory, for disk-full and read-only tests (needs root).
class TmpfsMount {
 public:
  // Returns why mounting failed, or "" when mounted.
  std::string mount(const std::string& options) {
    if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, options.c_str()) != 0)
      return std::string("cannot mount a tmpfs (these tests need root): ") + std::strerror(errno);
    mounted_ = true;
    return "";
  }
  // Returns "" or why the remount failed.
  std::string remount(unsigned long flags, const std::string& options) {
    if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_REMOUNT | flags, options.c_str()) != 0)
      return std::strerror(errno);
    return "";
  }
  ~TmpfsMount() {
    if (mounted_ && ::umount(dir_.path().c_str()) != 0) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  const fs::path& path() const { return dir_.path(); }

 private:
  TempDir dir_;
  bool mounted_ = false;
};

// Sets (or unsets, with nullopt) an environment variable for the lifetime of this object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Content long enough (> 30 bytes) to be stored as a canonical object rather than a literal.
inline std::string big(const std::string& s) { return s + std::string(40, '.'); }

inline fs::path object_file(const fs::path& fixnet_dir, Name name) {
  const std::string hex = name.content_name().hex();
  return fixnet_dir / "objects" / hex.substr(0, 2) / hex.substr(2);
}

inline std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_bytes(const fs::path& path, const std::string& bytes) {
  if (fs::exists(path))  // objects are 0444
    fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

inline void flip_bit(const fs::path& path, size_t offset) {
  std::string bytes = read_bytes(path);
  bytes.at(offset) ^= 0x01;
  write_bytes(path, bytes);
}

inline bool contains_text(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace fixnet::testing
