#include "flatware/program_input.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"

namespace fixnet::flatware {
namespace {

constexpr std::array<std::string_view, kInputEntries> kEntryNames = {
    "limits", "program", "args", "env", "stdin", "filesystem", "seed", "start time"};

[[noreturn]] void bad_entry(size_t index, std::string_view problem) {
  throw ProcedureError(fmt::format("flatware: input entry {} ({}): {}", index, kEntryNames[index], problem));
}

// What a Name is, for messages: "a Tree", "a Ref to a Blob", …
std::string describe(Name name) {
  return fmt::format("{}{}", name.is_ref() ? "a Ref to a " : "a ", kind_name(name.unref().kind()));
}

bool is_accessible_blob(Name n) { return n.is_blob() && !n.is_ref(); }
bool is_accessible_tree(Name n) { return n.is_tree() && !n.is_ref(); }

Name blob_entry(const std::vector<Name>& entries, size_t index) {
  if (!is_accessible_blob(entries[index]))
    bad_entry(index, fmt::format("is {}, expected a Blob", describe(entries[index])));
  return entries[index];
}

// A Blob of exactly `size` bytes.
std::string fixed_blob(ObjectStore& store, const std::vector<Name>& entries, size_t index, size_t size,
                       std::string_view what) {
  Name n = blob_entry(entries, index);
  if (n.size() != size)
    bad_entry(index, fmt::format("is a Blob of {} bytes, expected {} bytes ({})", n.size(), size, what));
  return *store.get_blob(n);
}

// A Tree of Blobs without NUL bytes; `need_equals` requires a '=' in each (environment variables).
std::vector<std::string> string_list(ObjectStore& store, const std::vector<Name>& entries, size_t index,
                                     bool need_equals) {
  if (!is_accessible_tree(entries[index]))
    bad_entry(index, fmt::format("is {}, expected a Tree of Blobs", describe(entries[index])));
  std::vector<std::string> out;
  TreeData list = store.get_tree(entries[index]);
  for (size_t i = 0; i < list->size(); ++i) {
    Name item = (*list)[i];
    if (!is_accessible_blob(item))
      bad_entry(index, fmt::format("entry {} is {}, expected a Blob", i, describe(item)));
    std::string s = *store.get_blob(item);
    if (s.find('\0') != std::string::npos) bad_entry(index, fmt::format("entry {} contains a NUL byte", i));
    if (need_equals && s.find('=') == std::string::npos)
      bad_entry(index, fmt::format("entry {} ({}) has no '=', expected NAME=VALUE", i, one_line(s)));
    out.push_back(std::move(s));
  }
  return out;
}

uint64_t le64(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes.size() && i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(bytes[i])} << (8 * i);
  return v;
}

std::string le_bytes(uint64_t v, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

Name put_strings(ObjectStore& store, const std::vector<std::string>& strings) {
  std::vector<Name> names;
  names.reserve(strings.size());
  for (const auto& s : strings) names.push_back(store.put_blob(s));
  return store.put_tree(std::move(names));
}

}  // namespace

ProgramInput parse_program_input(ObjectStore& store, Name encode_tree) {
  if (!is_accessible_tree(encode_tree))
    throw ProcedureError(fmt::format("flatware: the input is {}, expected a Tree of {} entries",
                                     describe(encode_tree), kInputEntries));
  TreeData tree = store.get_tree(encode_tree);
  const auto& e = *tree;
  if (e.size() != kInputEntries)
    throw ProcedureError(
        fmt::format("flatware: the input Tree has {} entries, expected {} (limits, program, args, env, "
                    "stdin, filesystem, "
                    "seed, start time)",
                    e.size(), kInputEntries));
  ProgramInput in;
  try {
    in.limits = Limits::parse(e[0]);
  } catch (const ProcedureError& err) {
    bad_entry(0, err.what());
  }
  in.program = blob_entry(e, 1);
  in.args = string_list(store, e, 2, false);
  in.env = string_list(store, e, 3, true);
  in.stdin_blob = blob_entry(e, 4);
  if (!is_accessible_tree(e[5]))
    bad_entry(5, fmt::format("is {}, expected a directory Tree", describe(e[5])));
  in.filesystem = e[5];
  const std::string seed = fixed_blob(store, e, 6, in.seed.size(), "the random seed");
  std::copy(seed.begin(), seed.end(), in.seed.begin());
  in.start_time_ns = le64(fixed_blob(store, e, 7, 8, "u64 LE nanoseconds since the Unix epoch"));
  return in;
}

Name make_program_input(ObjectStore& store, const ProgramInputSpec& spec) {
  const std::string seed(reinterpret_cast<const char*>(spec.seed.data()), spec.seed.size());
  return store.put_tree({
      spec.limits.to_blob_name(),
      spec.program,
      put_strings(store, spec.args),
      put_strings(store, spec.env),
      spec.stdin_blob.is_null() ? store.put_blob("") : spec.stdin_blob,
      spec.filesystem.is_null() ? store.put_tree({}) : spec.filesystem,
      store.put_blob(seed),
      store.put_blob(le_bytes(spec.start_time_ns, 8)),
  });
}

Name output_tree(ObjectStore& store, const ProgramOutput& output) {
  return store.put_tree({store.put_blob(le_bytes(output.exit_code, 4)), output.stdout_blob,
                         output.stderr_blob, output.filesystem});
}

ProgramOutput parse_output_tree(ObjectStore& store, Name tree) {
  auto bad = [](std::string_view what) {
    throw InputError(
        fmt::format("not a Flatware output Tree [exit code, stdout, stderr, filesystem]: {}", what));
  };
  if (!is_accessible_tree(tree)) bad(fmt::format("it is {}", describe(tree)));
  TreeData t = store.get_tree(tree);
  if (t->size() != 4) bad(fmt::format("it has {} entries", t->size()));
  const auto& e = *t;
  if (!is_accessible_blob(e[0]) || e[0].size() != 4) bad("entry 0 is not a 4-byte Blob");
  if (!is_accessible_blob(e[1]) || !is_accessible_blob(e[2])) bad("stdout and stderr must be Blobs");
  if (!is_accessible_tree(e[3])) bad("entry 3 is not a directory Tree");
  return ProgramOutput{static_cast<uint32_t>(le64(*store.get_blob(e[0]))), e[1], e[2], e[3]};
}

}  // namespace fixnet::flatware
