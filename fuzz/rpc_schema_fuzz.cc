// Fuzzes Schema::from_canonical (src/rpc/schema.h): the schema bytes an application sends in its
// Hello, parsed and built by the service with libprotobuf. Contract: it throws InputError or returns
// a schema whose canonical bytes are exactly the input (so its hash is the hash of the input).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "rpc/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto schema = fixnet::rpc::Schema::from_canonical(std::span(data, size));
    if (schema->canonical().size() != size || std::memcmp(schema->canonical().data(), data, size) != 0) std::abort();
    if (schema->hash() != fixnet::rpc::schema_hash(schema->canonical())) std::abort();
  } catch (const fixnet::InputError&) {
  }
  return 0;
}
