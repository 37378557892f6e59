// Error values: a deterministic failure of a computation, as a Fix value, so it can be memoized,
// stored and inspected like any result. Layout (docs/semantics.md, "Errors"):
//   Tree [ Blob "fixnet.error", Blob message, the failing thunk's Name ]
#pragma once

#include <optional>
#include <string>

#include "core/store.h"

namespace fixnet {

Name make_error_value(ObjectStore& store, std::string_view message, Name thunk);
// The message of an error value, or nullopt when `value` is not one.
std::optional<std::string> error_message(ObjectStore& store, Name value);
// Inline, as the evaluator asks it of every result: almost every value is rejected by its Name alone.
inline bool is_error_value(ObjectStore& store, Name value) {
  return value.is_value() && value.content() == Content::Tree && value.size() == 3 &&
         error_message(store, value).has_value();
}

}  // namespace fixnet
