#include "rpc/operator_client.h"

#include "core/error.h"
#include "net/unix_control.h"

namespace fixnet::rpc {

namespace {
constexpr size_t kMaxReplyBytes = 4 << 20;
}

nlohmann::json operator_request(const std::filesystem::path& socket, const nlohmann::json& request) {
  auto control = net::UnixControl::connect(socket);
  const std::string text = request.dump();
  control.send(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  auto reply = control.receive(kMaxReplyBytes, 0);
  if (!reply) throw EnvironmentError("the RPC service at " + socket.string() + " hung up without a reply");
  try {
    return nlohmann::json::parse(reply->bytes.begin(), reply->bytes.end());
  } catch (const nlohmann::json::exception&) {
    throw InputError("the RPC service at " + socket.string() + " replied with something that is not JSON");
  }
}

}  // namespace fixnet::rpc
