#include "rpc/operator_reply.h"

#include <string>

#include "core/error.h"

namespace fixnet::rpc {
namespace {

using nlohmann::json;

// A field of an object, checked by kind; `where` is its path for the message.
class Fields {
 public:
  Fields(const json& object, std::string where) : object_(object), where_(std::move(where)) {
    if (!object_.is_object()) fail(where_.empty() ? "the reply" : where_, "is not a JSON object");
  }
  const json& get(const char* key, bool (json::*is)() const, const char* kind) const {
    const auto it = object_.find(key);
    if (it == object_.end()) fail(path(key), std::string("is missing (") + kind + ")");
    if (!((*it).*is)()) fail(path(key), std::string("is not ") + kind);
    return *it;
  }
  const json& object(const char* key) const { return get(key, &json::is_object, "an object"); }
  const json& array(const char* key) const { return get(key, &json::is_array, "an array"); }
  void text(const char* key) const { get(key, &json::is_string, "a string"); }
  void text_or_null(const char* key) const {
    const json& v = get(key, &json::is_primitive, "a string or null");
    if (!v.is_string() && !v.is_null()) fail(path(key), "is not a string or null");
  }
  void flag(const char* key) const { get(key, &json::is_boolean, "true or false"); }
  void integer(const char* key) const { get(key, &json::is_number_integer, "an integer"); }
  void count(const char* key) const { get(key, &json::is_number_unsigned, "an unsigned integer"); }
  std::string path(const std::string& key) const { return where_.empty() ? key : where_ + "." + key; }

  [[noreturn]] static void fail(const std::string& where, const std::string& what) {
    throw InputError(one_line(where, 120) + " " + what);
  }

 private:
  const json& object_;
  std::string where_;
};

std::string at(const std::string& array, size_t i) { return array + "[" + std::to_string(i) + "]"; }

void check_list(const Fields& reply) {
  const Fields service(reply.object("service"), "service");
  service.integer("pid");
  service.count("uid");
  service.count("runtimes");
  const json& apps = reply.array("applications");
  for (size_t i = 0; i < apps.size(); ++i) {
    const std::string where = at("applications", i);
    const Fields app(apps[i], where);
    app.count("app");
    app.integer("pid");
    app.count("uid");
    app.flag("serving");
    app.text_or_null("schema");
    if (apps[i]["schema"].is_string()) app.text("schema_file");
    const json& engines = app.array("engines");
    for (size_t j = 0; j < engines.size(); ++j) {
      const Fields engine(engines[j], at(where + ".engines", j));
      engine.text("name");
      engine.text("origin");
      engine.text("config");
      const json& counters = engine.object("counters");
      for (const auto& [name, value] : counters.items())
        if (!value.is_number_unsigned()) Fields::fail(engine.path("counters." + name), "is not an unsigned integer");
    }
  }
}

void check_results(const Fields& reply) {
  const json& results = reply.array("results");
  for (size_t i = 0; i < results.size(); ++i) {
    const Fields result(results[i], at("results", i));
    result.count("app");
    if (result.get("ok", &json::is_boolean, "true or false") == false) result.text("error");
  }
}

}  // namespace

void check_operator_reply(const json& reply, std::string_view op) {
  const Fields fields(reply, "");
  if (fields.get("ok", &json::is_boolean, "true or false") == false) return fields.text("error");
  if (op == "list") check_list(fields);
  else check_results(fields);
}

}  // namespace fixnet::rpc
