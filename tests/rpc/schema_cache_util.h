// The tests' schema cache: marshallers for the example and test schemas, compiled by this (trusted)
// test process, so the services under test only load them.
#pragma once

#include <filesystem>

#include "rpc/marshaller.h"
#include "rpc/schema.h"

namespace fixnet::rpc::testing {

inline std::filesystem::path schema_cache() {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path d = std::filesystem::path(FIXNET_TEST_CACHE_DIR) / "rpc-schemas";
    const std::filesystem::path source(FIXNET_SOURCE_DIR);
    MarshallerCache cache(d);
    for (const auto& proto : {source / "examples/rpc/echo.proto", source / "examples/rpc/kv.proto",
                              source / "tests/rpc/schemas/all_types.proto"})
      cache.ensure(*Schema::parse(proto));
    return d;
  }();
  return dir;
}

}  // namespace fixnet::rpc::testing
