// echo_server SOCKET: serves fixnet.examples.echo.Echo (echo.proto) through the local fixnet RPC
// service, which must listen on TCP (fixnetd --listen HOST:PORT). Runs until the service goes away.
#include <cstdio>

#include "core/error.h"
#include "echo.fixnet.h"

using namespace fixnet::examples::echo;

class EchoImpl final : public EchoService {
 public:
  void Call(const EchoRequest& request, EchoReply& reply) override { reply.set_data(request.data()); }
};

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: echo_server SOCKET\n");
    return 2;
  }
  try {
    auto server = EchoService::bind(argv[1]);
    std::printf("echo_server: serving\n");
    std::fflush(stdout);
    EchoImpl().serve(*server);
  } catch (const fixnet::Error& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
