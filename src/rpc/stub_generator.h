// The application's code for a schema (protoc-gen-fixnet; docs/rpc.md, "Generated API"): one
// header, FILE.fixnet.h, with per message a view class over the heap layout (schema_layout.h) with
// accessors, per enum a C++ enum, per service a client stub (sync and async calls) and a server
// skeleton, and the schema's hash and canonical bytes, which the client sends in its Hello.
#pragma once

#include <string>

#include "rpc/schema.h"

namespace fixnet::rpc {

// "echo.proto" → "echo.fixnet.h"
std::string stub_header_name(const std::string& proto_name);
std::string generate_stubs(const Schema& schema);

}  // namespace fixnet::rpc
