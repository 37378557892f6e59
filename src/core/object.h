// In-memory forms of the two kinds of stored content: a Blob (immutable bytes) and a Tree
// (immutable sequence of Names). Shared, immutable, safe to read from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/name.h"

namespace fixnet {

using BlobData = std::shared_ptr<const std::string>;
using TreeData = std::shared_ptr<const std::vector<Name>>;

// The canonical bytes of a Tree: its entries' 32-byte Names, in order (docs/format.md).
inline std::string_view tree_bytes(const std::vector<Name>& entries) {
  return {reinterpret_cast<const char*>(entries.data()), entries.size() * sizeof(Name)};
}

}  // namespace fixnet
