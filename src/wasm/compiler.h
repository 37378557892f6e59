// The system C compiler, as the last stage of the trusted toolchain: generated translation units in,
// one shared object out. Several units compile in parallel (compile_jobs() compilers at once in the
// whole process), each in its own process group under a supervisor that kills the group if this
// process dies, so a killed fixnet leaves no compiler running. An environment concern only: a module that reaches this stage is valid, so
// every failure here (no compiler, a compiler crash, a frame too big for the guest stack with this
// compiler) throws EnvironmentError and is never memoized.
#pragma once

#include <filesystem>
#include <functional>
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
// Added after compile_flags() for a unit holding a huge function (see CompileUnit).
std::vector<std::string> huge_unit_flags();

// How many compilers may run at once in this process: $FIXNET_COMPILE_JOBS, else one per core.
unsigned compile_jobs();

struct CompileUnit {
  std::filesystem::path source;  // its includes beside it
  bool huge = false;  // holds a function so large that -O2's costliest passes are left out for it
  // Compiled through ccache, when it is on PATH, so a machine compiles a unit once whatever
  // repository asks: only for a unit whose every input is text the preprocessor reads (no .incbin,
  // whose file ccache would not hash), compiled in its own directory under relative names.
  bool cacheable = false;
};

// Called with the units compiled so far (the link counts as one more) and the total, from any thread.
using CompileProgress = std::function<void(uint64_t done, uint64_t total)>;

// Compiles `units` into the shared object `output`: a single unit in one compiler run; several each
// into an object file beside it, in parallel, then linked.
void compile_shared_object(const CCompiler& cc, const std::vector<CompileUnit>& units,
                           const std::filesystem::path& output, const CompileProgress& progress = {});

}  // namespace fixnet::wasm
