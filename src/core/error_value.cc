#include "core/error_value.h"

namespace fixnet {
namespace {
constexpr std::string_view kErrorTag = "fixnet.error";
}

Name make_error_value(ObjectStore& store, std::string_view message, Name thunk) {
  return store.put_tree({Name::blob_name(kErrorTag), store.put_blob(message), thunk});
}

std::optional<std::string> error_message(ObjectStore& store, Name value) {
  if (!value.is_value() || value.content() != Content::Tree || value.size() != 3) return std::nullopt;
  TreeData entries = store.get_tree(value);
  if ((*entries)[0] != Name::blob_name(kErrorTag) || !(*entries)[1].is_blob()) return std::nullopt;
  return std::string(*store.get_blob((*entries)[1]));
}

}  // namespace fixnet
