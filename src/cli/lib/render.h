// Rendering objects for people (`fixnet show`, `eval --show`) and for scripts (`--json`).
//
// Text form, one object per line, nested Trees indented by two spaces:
//   Tree 1f2e3d4c5b6a (3 entries)
//     [0] Blob "hello" (5 bytes, literal)
//     [1] Blob 9a8b7c6d5e4f (4.0 KiB) x:7f454c46…
//     [2] Application 0a1b2c3d4e5f (3 entries)
// Blob contents are shown quoted when printable, else as x:HEX, cut after a few dozen bytes.
// Objects the store does not hold are shown as "(not held)" rather than failing the whole view.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/name.h"
#include "core/store.h"

namespace fixnet::cli {

struct RenderOptions {
  int depth = 3;               // levels of nested Trees shown below the top
  size_t max_entries = 100;    // entries shown per Tree before "… N more"
  size_t max_blob_bytes = 64;  // bytes of a Blob shown
};

// The header of one object: kind, short Name and size, e.g. `Tree 1f2e3d4c5b6a (3 entries)`.
std::string describe(ObjectStore& store, Name name, size_t max_blob_bytes = 64);

// The text view: the top object's full Name, then its tree.
std::string render_text(ObjectStore& store, Name name, const RenderOptions& options = {});

// The JSON view: {"name", "kind", "size", "literal", "ref", "held", "text"|"hex", "truncated",
// "entries": [...]}.
nlohmann::json render_json(ObjectStore& store, Name name, const RenderOptions& options = {});

// Serializes JSON for stdout. Invalid UTF-8 (a path, a blob) is replaced, never a crash.
std::string dump_json(const nlohmann::json& j);

}  // namespace fixnet::cli
