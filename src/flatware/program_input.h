// The input and output Trees of a Flatware run (docs/flatware.md): parsing the encode tree a program
// is applied to, building one (for `fixnet run` and the tests), and the result Tree.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/name.h"
#include "core/procedure.h"
#include "core/store.h"

namespace fixnet::flatware {

// The encode tree's entries, checked. Entry i of the Tree is the i-th field, in this order.
struct ProgramInput {
  Limits limits;
  Name program;                   // the Wasm module (a Blob)
  std::vector<std::string> args;  // argv, no NUL inside
  std::vector<std::string> env;   // "NAME=VALUE", no NUL inside
  Name stdin_blob;                // everything fd 0 reads; null = empty (make_program_input only)
  Name filesystem;                // directory Tree of the guest's `/`; null = empty (make_program_input only)
  std::array<uint8_t, 32> seed{};
  uint64_t start_time_ns = 0;
};

// What make_program_input builds from: the same fields, unchecked.
using ProgramInputSpec = ProgramInput;

inline constexpr size_t kInputEntries = 8;

// Checks and reads the encode tree; throws ProcedureError naming the first missing or malformed entry
// and what it must be (a malformed input is the input's fault: the error is a memoized value).
ProgramInput parse_program_input(ObjectStore& store, Name encode_tree);

// Puts the encode tree of `spec` into `store` and returns its Name.
Name make_program_input(ObjectStore& store, const ProgramInputSpec& spec);

struct ProgramOutput {
  uint32_t exit_code = 0;
  Name stdout_blob;
  Name stderr_blob;
  Name filesystem;
};

// The result Tree [exit code (u32 LE Blob), stdout, stderr, filesystem].
Name output_tree(ObjectStore& store, const ProgramOutput& output);
// Reads a result Tree back; throws InputError when `tree` is not one.
ProgramOutput parse_output_tree(ObjectStore& store, Name tree);

}  // namespace fixnet::flatware
