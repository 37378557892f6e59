#include "cli/lib/render.h"

#include <fmt/format.h>

#include "cli/lib/text.h"
#include "core/error.h"

namespace fixnet::cli {
namespace {

std::string kind_words(Name name) {
  std::string out = name.is_ref() ? "Ref " : "";
  if (name.is_encode()) {
    out += kind_name(name.kind());
    out += ' ';
    out += kind_name(name.thunk().kind());
  } else {
    out += kind_name(name.kind());
  }
  return out;
}

std::string size_words(Name name) {
  const uint64_t n = name.size();
  if (name.content() == Content::Tree) return fmt::format("{} {}", n, n == 1 ? "entry" : "entries");
  if (n < 1024) return fmt::format("{} {}", n, n == 1 ? "byte" : "bytes");
  return human_bytes(n);
}

// The bytes of a Blob if this store can give them; nullopt when it does not hold them.
std::optional<BlobData> blob_if_held(ObjectStore& store, Name name) {
  if (name.is_literal()) return std::make_shared<const std::string>(name.literal_bytes());
  try {
    return store.get_blob(name);
  } catch (const NotFoundError&) {
    return std::nullopt;
  }
}

std::optional<TreeData> tree_if_held(ObjectStore& store, Name name) {
  try {
    return store.get_tree(name);
  } catch (const NotFoundError&) {
    return std::nullopt;
  }
}

std::string header(ObjectStore& store, Name name, size_t max_blob_bytes, bool full_hex) {
  std::string out = fmt::format("{} {} ({})", kind_words(name),
                                full_hex ? name.hex() : name.short_hex(), size_words(name));
  if (name.content() == Content::Blob) {
    try {
      if (auto bytes = blob_if_held(store, name))
        out += " " + show_bytes(**bytes, max_blob_bytes);
      else
        out += " (not held)";
    } catch (const Error& e) {
      out += fmt::format(" (unreadable: {})", e.what());
    }
  }
  return out;
}

void render_tree_entries(ObjectStore& store, Name name, const RenderOptions& options, int depth,
                         int indent, std::string& out) {
  if (name.content() != Content::Tree || name.size() == 0) return;
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  if (depth <= 0) {
    out += pad + "…\n";
    return;
  }
  std::optional<TreeData> entries;
  try {
    entries = tree_if_held(store, name);
  } catch (const Error& e) {
    out += fmt::format("{}(unreadable: {})\n", pad, e.what());
    return;
  }
  if (!entries) {
    out += pad + "(not held)\n";
    return;
  }
  const size_t n = (*entries)->size();
  for (size_t i = 0; i < n && i < options.max_entries; ++i) {
    Name entry = (**entries)[i];
    out += fmt::format("{}[{}] {}\n", pad, i, header(store, entry, options.max_blob_bytes, false));
    render_tree_entries(store, entry, options, depth - 1, indent + 1, out);
  }
  if (n > options.max_entries) out += fmt::format("{}… {} more\n", pad, n - options.max_entries);
}

nlohmann::json json_of(ObjectStore& store, Name name, const RenderOptions& options, int depth) {
  nlohmann::json j;
  j["name"] = name.hex();
  j["kind"] = std::string(kind_name(name.kind()));
  if (name.is_encode()) j["thunk"] = std::string(kind_name(name.thunk().kind()));
  j["ref"] = name.is_ref();
  j["content"] = name.content() == Content::Tree ? "Tree" : "Blob";
  j["size"] = name.size();
  j["literal"] = name.is_literal();
  try {
    if (name.content() == Content::Blob) {
      auto bytes = blob_if_held(store, name);
      j["held"] = bytes.has_value();
      if (bytes) {
        std::string_view shown = std::string_view(**bytes).substr(0, options.max_blob_bytes);
        if (is_printable(shown))
          j["text"] = std::string(shown);
        else
          j["hex"] = to_hex(shown);
        j["truncated"] = (*bytes)->size() > shown.size();
      }
    } else {
      auto entries = tree_if_held(store, name);
      j["held"] = entries.has_value();
      if (entries && depth > 0) {
        nlohmann::json list = nlohmann::json::array();
        for (size_t i = 0; i < (*entries)->size() && i < options.max_entries; ++i)
          list.push_back(json_of(store, (**entries)[i], options, depth - 1));
        j["entries"] = std::move(list);
        j["truncated"] = (*entries)->size() > options.max_entries;
      } else if (entries) {
        j["truncated"] = name.size() > 0;
      }
    }
  } catch (const Error& e) {
    j["held"] = true;
    j["error"] = e.what();
  }
  return j;
}

}  // namespace

std::string describe(ObjectStore& store, Name name, size_t max_blob_bytes) {
  return header(store, name, max_blob_bytes, false);
}

std::string render_text(ObjectStore& store, Name name, const RenderOptions& options) {
  std::string out = header(store, name, options.max_blob_bytes, true) + "\n";
  render_tree_entries(store, name, options, options.depth, 1, out);
  return out;
}

nlohmann::json render_json(ObjectStore& store, Name name, const RenderOptions& options) {
  return json_of(store, name, options, options.depth);
}

std::string dump_json(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace fixnet::cli
