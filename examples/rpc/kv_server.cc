// kv_server SOCKET: a key-value store (kv.proto: Get, Put, Scan) kept in a std::map, served through
// the local fixnet RPC service (fixnetd --listen HOST:PORT). Runs until the service goes away.
#include <cstdio>
#include <map>
#include <string>

#include "core/error.h"
#include "kv.fixnet.h"

using namespace fixnet::examples::kv;

class Store final : public KeyValueService {
 public:
  void Get(const GetRequest& request, GetReply& reply) override {
    auto it = map_.find(std::string(request.key()));
    // A missing key fails the call: the caller's Result has status kNotFound and this message.
    if (it == map_.end())
      throw fixnet::rpc::stub::StatusError(fixnet::rpc::Status::kNotFound, "no key '" + std::string(request.key()) + "'");
    reply.set_found(true);
    reply.set_value(it->second);
  }
  void Put(const PutRequest& request, PutReply& reply) override {
    const auto value = request.value();
    auto [it, inserted] = map_.insert_or_assign(std::string(request.key()), std::string(value.begin(), value.end()));
    reply.set_replaced(!inserted);
  }
  void Scan(const ScanRequest& request, ScanReply& reply) override {
    const std::string end(request.end());
    auto first = map_.lower_bound(std::string(request.start()));
    auto last = end.empty() ? map_.end() : map_.lower_bound(end);
    uint64_t n = 0;
    for (auto it = first; it != last && (request.limit() == 0 || n < request.limit()); ++it) ++n;
    reply.resize_entries(n);
    auto it = first;
    for (uint64_t i = 0; i < n; ++i, ++it) {
      Entry entry = reply.entries(i);
      entry.set_key(it->first);
      entry.set_value(it->second);
    }
  }

 private:
  std::map<std::string, std::string> map_;
};

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: kv_server SOCKET\n");
    return 2;
  }
  try {
    auto server = KeyValueService::bind(argv[1]);
    std::printf("kv_server: serving\n");
    std::fflush(stdout);
    Store().serve(*server);
  } catch (const fixnet::Error& e) {
    std::fprintf(stderr, "kv_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
