#include "cli/lib/provenance.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "cli/lib/render.h"
#include "cli/lib/text.h"
#include "core/error.h"
#include "core/evaluator.h"

namespace fixnet::cli {
namespace {

// Inputs listed per computation; a huge Tree is summarized after this many.
constexpr size_t kMaxInputs = 100;

int rank(const Producer& p) {
  if (p.relation == Relation::Eval) return 3;
  switch (p.key.thunk_kind()) {
    case ThunkKind::Application:
      return 0;
    case ThunkKind::Selection:
      return 1;
    default:
      return 2;
  }
}

std::string role_name(Name key, size_t i) {
  switch (key.thunk_kind()) {
    case ThunkKind::Application:
      if (i == 0) return "limits";
      if (i == 1) return "procedure";
      return fmt::format("arg {}", i - 2);
    case ThunkKind::Selection:
      if (i == 0) return "target";
      return i == 1 ? "index" : "end";
    default:
      return fmt::format("entry {}", i);
  }
}

class Explainer {
 public:
  Explainer(ObjectStore& store, RelationStore& relations, const ProvenanceIndex& index)
      : store_(store), relations_(relations), index_(index) {}

  ProvenanceNode node(Name value, std::optional<Producer> producer, int depth) {
    ProvenanceNode n;
    n.value = value;
    n.producer = producer;
    if (!producer) return n;
    if (!seen_.insert(value).second) {
      n.explained_above = true;
      return n;
    }
    if (depth <= 0) {
      n.truncated = true;
      return n;
    }
    Name key = producer->key;
    if (key.thunk_kind() == ThunkKind::Identification || key.content() != Content::Tree) {
      // force(Identification(V)) = V: the input is the value itself.
      n.inputs.push_back(input("value", key.content_name(), depth));
      return n;
    }
    TreeData entries;
    try {
      entries = store_.get_tree(key);
    } catch (const NotFoundError&) {
      return n;  // the computation's Tree is gone (e.g. removed by gc): say what we know
    }
    for (size_t i = 0; i < entries->size() && i < kMaxInputs; ++i)
      n.inputs.push_back(input(role_name(key, i), (*entries)[i], depth));
    if (entries->size() > kMaxInputs) {
      ProvenanceNode::Input more;
      more.role = fmt::format("… {} more", entries->size() - kMaxInputs);
      n.inputs.push_back(std::move(more));
    }
    return n;
  }

 private:
  ProvenanceNode::Input input(std::string role, Name entry, int depth) {
    ProvenanceNode::Input in;
    in.role = std::move(role);
    in.name = entry;
    if (entry.is_encode() || entry.is_thunk()) {
      // An Encode is replaced by its thunk's result before the procedure runs; a bare thunk
      // stays lazy but may have been forced elsewhere. Either way the Think relation says.
      if (auto result = relations_.get(Relation::Think, entry.thunk())) {
        in.value = entry.encode_mode() == EncodeMode::Shallow ? result->as_ref() : *result;
        in.origin = std::make_unique<ProvenanceNode>(
            node(*result, Producer{Relation::Think, entry.thunk()}, depth - 1));
      }
    } else if (!entry.is_literal()) {
      if (auto producer = index_.producer_of(entry.unref()))
        in.origin = std::make_unique<ProvenanceNode>(node(entry.unref(), producer, depth - 1));
    }
    return in;
  }

  ObjectStore& store_;
  RelationStore& relations_;
  const ProvenanceIndex& index_;
  std::unordered_set<Name, NameHash> seen_;
};

std::string describe_input(ObjectStore& store, const ProvenanceNode::Input& in) {
  if (in.name.is_null()) return "";
  try {
    if (in.role == "limits" && in.name.is_literal() && in.name.size() == 16) {
      const Limits l = Limits::parse(in.name);
      auto show = [](uint64_t v, bool bytes) {
        return v == 0 ? std::string("default") : bytes ? human_bytes(v) : fmt::format("{}", v);
      };
      return fmt::format("limits(mem={}, fuel={})", show(l.memory_bytes, true),
                         show(l.fuel, false));
    }
    if ((in.role == "index" || in.role == "end") && in.name.is_literal() && in.name.size() <= 8)
      return fmt::format("{}", read_u64_le(in.name.literal_bytes()));
    if (in.role == "procedure" && in.name.is_blob() && !in.name.is_ref() && in.name.size() <= 256) {
      BlobData bytes = store.get_blob(in.name);
      if (auto native = native_procedure_name(*bytes)) return "native:" + *native;
    }
    if (in.role == "procedure" && in.name.is_blob() && !in.name.is_ref() && in.name.size() >= 4 &&
        std::string_view(*store.get_blob(in.name)).starts_with(std::string_view("\0asm", 4))) {
      return fmt::format("Wasm module {} ({})", in.name.short_hex(), human_bytes(in.name.size()));
    }
  } catch (const Error&) {
    // Fall back to the plain description below.
  }
  return describe(store, in.name, 40);
}

std::string relation_words(const Producer& p) {
  if (p.relation == Relation::Think)
    return fmt::format("force({} {})", kind_name(p.key.kind()), p.key.short_hex());
  return fmt::format("eval({} {})", kind_name(p.key.kind()), p.key.short_hex());
}

void text_of(ObjectStore& store, const ProvenanceNode& n, int indent, bool top, std::string& out) {
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  const std::string name = top ? n.value.hex() : n.value.short_hex();
  if (!n.producer) {
    out += fmt::format(
        "{}{}: no recorded computation produced it (it was added or written "
        "directly)\n",
        pad, name);
    return;
  }
  out += fmt::format("{}{} = {}", pad, name, relation_words(*n.producer));
  if (n.explained_above) out += " (explained above)";
  if (n.truncated) out += " (deeper steps not shown; raise --depth)";
  out += "\n";
  size_t width = 0;
  for (const auto& in : n.inputs) width = std::max(width, in.role.size());
  for (const auto& in : n.inputs) {
    std::string line =
        fmt::format("{}  {:<{}}  {}", pad, in.role, width, describe_input(store, in));
    if (in.value) line += fmt::format(" → {}", in.value->short_hex());
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    if (in.origin) text_of(store, *in.origin, indent + 2, false, out);
  }
}

nlohmann::json json_of(ObjectStore& store, const ProvenanceNode& n) {
  nlohmann::json j;
  j["name"] = n.value.hex();
  j["kind"] = std::string(kind_name(n.value.kind()));
  if (!n.producer) {
    j["produced_by"] = nullptr;
    return j;
  }
  nlohmann::json p;
  p["relation"] = std::string(relation_name(n.producer->relation));
  p["key"] = n.producer->key.hex();
  p["key_kind"] = std::string(kind_name(n.producer->key.kind()));
  p["explained_above"] = n.explained_above;
  p["truncated"] = n.truncated;
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& in : n.inputs) {
    nlohmann::json i;
    i["role"] = in.role;
    if (!in.name.is_null()) {
      i["name"] = in.name.hex();
      i["kind"] = std::string(kind_name(in.name.kind()));
      i["description"] = describe_input(store, in);
    }
    i["value"] = in.value ? nlohmann::json(in.value->hex()) : nlohmann::json(nullptr);
    i["origin"] = in.origin ? json_of(store, *in.origin) : nlohmann::json(nullptr);
    inputs.push_back(std::move(i));
  }
  p["inputs"] = std::move(inputs);
  j["produced_by"] = std::move(p);
  return j;
}

}  // namespace

ProvenanceIndex::ProvenanceIndex(RelationStore& relations) {
  relations.for_each([this](Relation relation, Name key, Name value) {
    by_value_[value].push_back(Producer{relation, key});
    ++relations_;
  });
}

std::optional<Producer> ProvenanceIndex::producer_of(Name value) const {
  auto it = by_value_.find(value);
  if (it == by_value_.end() || it->second.empty()) return std::nullopt;
  return *std::min_element(it->second.begin(), it->second.end(),
                           [](const Producer& a, const Producer& b) {
                             const int ra = rank(a), rb = rank(b);
                             return ra != rb ? ra < rb : a.key < b.key;
                           });
}

size_t ProvenanceIndex::producer_count(Name value) const {
  auto it = by_value_.find(value);
  return it == by_value_.end() ? 0 : it->second.size();
}

std::optional<Production> find_production(RelationStore& relations, const ProvenanceIndex& index,
                                          Name name) {
  if (auto producer = index.producer_of(name.unref())) return Production{*producer, name.unref()};
  if (name.is_thunk() || name.is_encode()) {
    // Asked about a computation rather than a result: take the result it was forced to.
    if (auto result = relations.get(Relation::Think, name.thunk()))
      return Production{Producer{Relation::Think, name.thunk()}, *result};
  }
  return std::nullopt;
}

ProvenanceNode explain(ObjectStore& store, RelationStore& relations, const ProvenanceIndex& index,
                       Name name, int max_depth) {
  Explainer explainer(store, relations, index);
  if (auto production = find_production(relations, index, name))
    return explainer.node(production->value, production->producer, max_depth);
  return explainer.node(name.unref(), std::nullopt, max_depth);
}

std::string provenance_text(ObjectStore& store, const ProvenanceNode& node) {
  std::string out;
  text_of(store, node, 0, true, out);
  return out;
}

nlohmann::json provenance_json(ObjectStore& store, const ProvenanceNode& node) {
  return json_of(store, node);
}

Reproduction reproduce(ObjectStore& store, RelationStore& relations, const ProvenanceIndex& index,
                       Name name, ProcedureRunner& runner, ThreadPool& pool) {
  std::optional<Production> production = find_production(relations, index, name);
  if (!production)
    throw InputError(
        fmt::format("{}: no recorded computation produced it, so there is nothing to "
                    "re-run (see `fixnet why`)",
                    name.hex()));
  const Producer producer = production->producer;
  MemoryRelations scratch;
  Evaluator evaluator(store, scratch, runner, pool, EvaluatorOptions{.read_memo = false});
  Name rerun = producer.relation == Relation::Think ? evaluator.force(producer.key)
                                                    : evaluator.eval(producer.key);
  return Reproduction{producer, production->value, rerun};
}

}  // namespace fixnet::cli
