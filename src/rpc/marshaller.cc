#include "rpc/marshaller.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "rpc/marshaller_generator.h"
#include "rpc/schema_layout.h"

extern char** environ;

namespace fixnet::rpc {

namespace fs = std::filesystem;

namespace {

// Code we load must be as trusted as we are: owned by us or root, writable by no one else.
void check_trusted(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError("marshaller " + one_line(path.string()) + ": " + std::strerror(errno));
  const uid_t me = ::geteuid();
  if ((st.st_uid != me && st.st_uid != 0) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    throw InputError("marshaller " + one_line(path.string()) +
                     " is writable by another user; the service loads code only from its own files (fix the owner "
                     "and mode, or use another --schema-cache)");
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string first_error_line(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find("error") != std::string::npos) return line;
  return text.substr(0, text.find('\n'));
}

// Runs the compiler; throws EnvironmentError with its first error line.
void compile(const fs::path& source, const fs::path& object, const fs::path& log) {
  const char* cxx = std::getenv("CXX");
  std::vector<std::string> args{cxx != nullptr && *cxx != 0 ? cxx : "c++", "-std=c++17", "-O2", "-fPIC", "-shared",
                                "-fvisibility=hidden", "-o", object.string(), "-x", "c++", source.string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw EnvironmentError("cannot run the C++ compiler '" + args[0] + "': " + std::strerror(rc) + " (set CXX)");
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw EnvironmentError("compiling the marshaller " + source.string() + " failed: " +
                           one_line(first_error_line(read_text(log)), 300));
}

}  // namespace

std::shared_ptr<const Marshaller> Marshaller::load(const fs::path& shared_object, const SchemaHash& expected) {
  const std::string origin = "marshaller " + one_line(shared_object.string());
  check_trusted(shared_object.parent_path().empty() ? fs::path(".") : shared_object.parent_path());
  check_trusted(shared_object);
  void* handle = ::dlopen(shared_object.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) throw InputError(origin + " does not load: " + one_line(::dlerror(), 300));
  auto refuse = [&](const std::string& why) {
    ::dlclose(handle);
    throw InputError(origin + ": " + why);
  };
  using Entry = const fixnet_rpc_marshaller* (*)();
  auto entry = reinterpret_cast<Entry>(::dlsym(handle, FIXNET_RPC_MARSHALLER_ENTRY));
  if (entry == nullptr) refuse("no entry point " FIXNET_RPC_MARSHALLER_ENTRY "()");
  const fixnet_rpc_marshaller* code = entry();
  if (code == nullptr || code->abi_version != FIXNET_RPC_MARSHALLER_ABI_VERSION || code->layout_version != kLayoutVersion)
    refuse("built for another marshaller ABI or layout version; delete it to have it rebuilt");
  if (std::memcmp(code->schema_hash, expected.data(), expected.size()) != 0)
    refuse("is for another schema than " + hex(expected));
  if (code->marshal == nullptr || code->unmarshal == nullptr) refuse("has no marshal/unmarshal functions");
  return std::shared_ptr<const Marshaller>(new Marshaller(handle, code));
}

Marshaller::~Marshaller() { ::dlclose(handle_); }

fs::path default_schema_cache() {
  if (const char* dir = std::getenv("FIXNET_SCHEMA_CACHE"); dir != nullptr && *dir != 0) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != 0)
    return fs::path(xdg) / "fixnet" / "rpc-schemas";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != 0)
    return fs::path(home) / ".cache" / "fixnet" / "rpc-schemas";
  return fs::temp_directory_path() / ("fixnet-rpc-schemas-" + std::to_string(::geteuid()));
}

fs::path MarshallerCache::path_of(const SchemaHash& hash) const {
  return dir_ / (hex(hash) + "-g" + std::to_string(kMarshallerGeneratorVersion) + ".so");
}

fs::path MarshallerCache::ensure(const Schema& schema, bool* compiled) const {
  const fs::path object = path_of(schema.hash());
  if (compiled != nullptr) *compiled = false;
  std::error_code ec;
  if (fs::exists(object, ec)) return object;
  fs::create_directories(dir_, ec);
  if (ec) throw EnvironmentError("cannot create the schema cache " + dir_.string() + ": " + ec.message());
  ::chmod(dir_.c_str(), 0755);  // readable by services running as other users; writable by us only
  // Temporary names unique to this process: two processes compiling the same schema both succeed.
  const std::string tag = ".tmp" + std::to_string(::getpid());
  fs::path source = object;
  source.replace_extension(".cc");
  const fs::path tmp_source = source.string() + tag, tmp_object = object.string() + tag, log = object.string() + ".log" + tag;
  {
    std::ofstream out(tmp_source);
    out << generate_marshaller(schema);
    if (!out)
      throw EnvironmentError("cannot write the schema cache " + dir_.string() +
                             " (register the schema ahead with `fixnet rpc register`, or give a writable --schema-cache)");
  }
  try {
    compile(tmp_source, tmp_object, log);
  } catch (...) {
    fs::remove(tmp_source, ec);
    fs::remove(tmp_object, ec);
    fs::remove(log, ec);
    throw;
  }
  fs::remove(log, ec);
  fs::rename(tmp_source, source, ec);
  fs::rename(tmp_object, object, ec);
  if (ec) throw EnvironmentError("cannot store " + object.string() + ": " + ec.message());
  if (compiled != nullptr) *compiled = true;
  return object;
}

}  // namespace fixnet::rpc
