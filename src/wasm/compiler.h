// The system C compiler, as the last stage of the trusted toolchain: one generated translation unit in,
// one shared object out. An environment concern only: a module that reaches this stage is valid, so
// every failure here (no compiler, a compiler crash, a frame too big for the guest stack with this
// compiler) throws EnvironmentError and is never memoized.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace fixnet::wasm {

struct CCompiler {
  std::filesystem::path path;  // resolved: symlinks followed, so an upgrade changes it
  std::string identity;        // path, size and mtime of the binary: part of the toolchain version
};

// `$FIXNET_CC` if set, else `cc`, searched on PATH. Throws EnvironmentError when there is none.
CCompiler find_c_compiler();

// The flags every artifact is compiled with (part of the toolchain version).
std::vector<std::string> compile_flags();

// Compiles `source` (its includes beside it) into the shared object `output`.
void compile_shared_object(const CCompiler& cc, const std::filesystem::path& source,
                           const std::filesystem::path& output);

}  // namespace fixnet::wasm
