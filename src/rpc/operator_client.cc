#include "rpc/operator_client.h"

#include "core/error.h"
#include "net/unix_control.h"
#include "rpc/operator_reply.h"

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
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(reply->bytes.begin(), reply->bytes.end());
  } catch (const nlohmann::json::exception&) {
    throw InputError("the RPC service at " + one_line(socket.string(), 200) +
                     " replied with something that is not JSON (is a fixnetd of this version listening there?)");
  }
  const auto op = request.find("op");
  try {
    check_operator_reply(parsed, op != request.end() && op->is_string() ? op->get<std::string>() : "");
  } catch (const InputError& e) {
    throw InputError("the RPC service at " + one_line(socket.string(), 200) + " sent a malformed reply: " + e.what() +
                     " (is a fixnetd of this version listening there?)");
  }
  return parsed;
}

}  // namespace fixnet::rpc
