// Fuzzes the metrics HTTP server's request parsing (src/net/http_text_server.h, answer_http_request):
// the first byte picks how the reads cut the request (1 to 256 bytes each), the rest is what a
// scraper — or anyone reaching the port — sends. The server asks after every read; contract checked:
// once it decides, the answer is the one the whole input gets (it depends on the bytes, not on the
// reads), and it serves only GET / and GET /metrics.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/http_text_server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using fixnet::net::HttpAnswer;
  if (size < 1) return 0;
  const size_t chunk = 1 + data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string request;
  HttpAnswer answer = HttpAnswer::kIncomplete;
  for (size_t at = 0; at < input.size() && answer == HttpAnswer::kIncomplete; at += chunk) {
    request += input.substr(at, chunk);
    answer = fixnet::net::answer_http_request(request);
  }
  if (answer != fixnet::net::answer_http_request(input)) std::abort();
  if (answer == HttpAnswer::kServe && !request.starts_with("GET /metrics ") && !request.starts_with("GET / "))
    std::abort();
  return 0;
}
