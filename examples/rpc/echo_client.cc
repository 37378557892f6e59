// echo_client SOCKET TEXT [COUNT]: calls Echo.Call COUNT times (default 1; all in flight at once,
// async) through the local fixnet RPC service and prints the first answer. Exit 1 if any call failed
// or answered other bytes.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "echo.fixnet.h"

using namespace fixnet::examples::echo;

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: echo_client SOCKET TEXT [COUNT]\n");
    return 2;
  }
  const std::string_view text = argv[2];
  const int count = argc == 4 ? std::atoi(argv[3]) : 1;
  try {
    auto client = EchoClient::connect(argv[1]);
    std::vector<fixnet::rpc::stub::Pending<EchoReply>> pending;
    for (int i = 0; i < count; ++i) {
      auto request = client.make<EchoRequest>();
      request->set_data(text);
      pending.push_back(client.CallAsync(std::move(request)));
    }
    bool all_ok = true;
    for (size_t i = 0; i < pending.size(); ++i) {
      auto reply = pending[i].get();
      if (!reply.ok()) {
        std::fprintf(stderr, "echo_client: call %zu failed: %s\n", i, std::string(status_text(reply.status())).c_str());
        all_ok = false;
        continue;
      }
      const auto data = reply->data();
      const std::string_view answer(reinterpret_cast<const char*>(data.data()), data.size());
      if (answer != text) all_ok = false;
      if (i == 0) std::printf("%.*s\n", static_cast<int>(answer.size()), answer.data());
    }
    return all_ok ? 0 : 1;
  } catch (const fixnet::Error& e) {
    std::fprintf(stderr, "echo_client: %s\n", e.what());
    return 1;
  }
}
