// kv_client SOCKET put KEY VALUE | get KEY | scan [START [END [LIMIT]]]: one call to the key-value
// service (kv.proto) through the local fixnet RPC service. Prints the answer; `get` of a missing key
// prints "not found" and exits 3.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/error.h"
#include "kv.fixnet.h"

using namespace fixnet::examples::kv;

namespace {

std::string_view text(std::span<const uint8_t> bytes) { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }

int usage() {
  std::fprintf(stderr, "usage: kv_client SOCKET put KEY VALUE | get KEY | scan [START [END [LIMIT]]]\n");
  return 2;
}

template <class R>
bool failed(const R& reply) {
  if (reply.ok()) return false;
  std::fprintf(stderr, "kv_client: the call failed: %s%s%s\n", std::string(fixnet::rpc::status_text(reply.status())).c_str(),
               reply.message().empty() ? "" : ": ", std::string(reply.message()).c_str());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string op = argv[2];
  try {
    auto client = KeyValueClient::connect(argv[1]);
    if (op == "put" && argc == 5) {
      auto request = client.make<PutRequest>();
      request->set_key(argv[3]);
      request->set_value(std::string_view(argv[4]));
      auto reply = client.Put(std::move(request));
      if (failed(reply)) return 1;
      std::printf("%s\n", reply->replaced() ? "replaced" : "stored");
      return 0;
    }
    if (op == "get" && argc == 4) {
      auto request = client.make<GetRequest>();
      request->set_key(argv[3]);
      auto reply = client.Get(std::move(request));
      // The server's answer for a missing key (an ordinary gRPC server may say found = false instead).
      if (reply.status() == fixnet::rpc::Status::kNotFound || (reply.ok() && !reply->found())) {
        std::printf("not found\n");
        return 3;
      }
      if (failed(reply)) return 1;
      const auto value = text(reply->value());
      std::printf("%.*s\n", static_cast<int>(value.size()), value.data());
      return 0;
    }
    if (op == "scan" && argc <= 6) {
      auto request = client.make<ScanRequest>();
      if (argc > 3) request->set_start(argv[3]);
      if (argc > 4) request->set_end(argv[4]);
      if (argc > 5) request->set_limit(static_cast<uint32_t>(std::strtoul(argv[5], nullptr, 10)));
      auto reply = client.Scan(std::move(request));
      if (failed(reply)) return 1;
      for (uint64_t i = 0; i < reply->entries_size(); ++i) {
        const Entry entry = reply->entries(i);
        const auto value = text(entry.value());
        std::printf("%.*s=%.*s\n", static_cast<int>(entry.key().size()), entry.key().data(),
                    static_cast<int>(value.size()), value.data());
      }
      return 0;
    }
    return usage();
  } catch (const fixnet::Error& e) {
    std::fprintf(stderr, "kv_client: %s\n", e.what());
    return 1;
  }
}
