// Small text helpers shared by the commands: how bytes, Names and sizes are shown to a person.
// Everything here is pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/name.h"

namespace fixnet::cli {

// Whether `bytes` reads as text: valid UTF-8 without control characters other than \n, \t, \r.
bool is_printable(std::string_view bytes);

// `bytes` as a double-quoted C-style string literal ("a\tb\n", \xHH for other control bytes), the
// form the expression grammar reads back.
std::string quote(std::string_view bytes);

// Lowercase hex of `bytes`, no separators.
std::string to_hex(std::string_view bytes);

// `bytes` shown in one line: quoted when printable, else `x:` and hex; longer than `max_bytes` is
// cut and marked with "…".
std::string show_bytes(std::string_view bytes, size_t max_bytes = 64);

// A human size: "512 B", "1.5 KiB", "3.2 GiB".
std::string human_bytes(uint64_t bytes);

using fixnet::one_line;

// Reads a little-endian unsigned integer from a Blob of at most 8 bytes.
uint64_t read_u64_le(std::string_view bytes);

// The name of the native procedure a Blob holds ("concat" for "fixnet-native:concat"), if it is
// one.
std::optional<std::string> native_procedure_name(std::string_view blob_bytes);

}  // namespace fixnet::cli
