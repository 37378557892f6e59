#include "rpc/compile_admission.h"

#include <algorithm>

namespace fixnet::rpc {

namespace {

constexpr auto kWindow = std::chrono::minutes(1);
const char* const kFix = "; run `fixnet rpc register FILE.proto` to compile it ahead of time";

}  // namespace

std::optional<std::string> CompileAdmission::admit(uid_t uid, const std::string& schema, size_t waiting,
                                                   Clock::time_point now) {
  auto& recent = recent_[uid];
  while (!recent.empty() && now - recent.front().at >= kWindow) recent.pop_front();
  // The same schema again within the minute (e.g. a reconnect after its compile failed) costs no more.
  const bool counted =
      std::any_of(recent.begin(), recent.end(), [&](const Admitted& a) { return a.schema == schema; });
  if (!counted && recent.size() >= limits_.per_uid_per_minute) {
    return "uid " + std::to_string(uid) + " brought " + std::to_string(limits_.per_uid_per_minute) +
           " uncached schemas within a minute (the limit)" + kFix;
  }
  if (waiting >= limits_.max_waiting)
    return std::to_string(waiting) + " uncached schemas already wait for the marshaller compiler" + kFix;
  if (!counted) recent.push_back({now, schema});
  return std::nullopt;
}

}  // namespace fixnet::rpc
