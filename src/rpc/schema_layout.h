// The heap layout of a schema's messages, version 1 (docs/rpc.md, "Message layout"): how a message
// lies in a connection's shared heap. protoc-gen-fixnet (the application's side) and the service's
// marshaller generator both derive their code from these functions, so they agree by construction.
//
//  - A message is a struct of slots, one per field in field-number order, 8-byte aligned, at least
//    8 bytes (so a present empty message is never length 0).
//  - A singular scalar takes an 8-byte slot; the value is stored as its C type at the slot's start
//    (int32/sint32/sfixed32/enum as int32_t, uint32/fixed32 as uint32_t, 64-bit types as such,
//    bool as one byte, float, double).
//  - string and bytes: a 16-byte slot {u64 offset, u64 length}; length 0 is empty.
//  - a singular sub-message: {u64 offset, u64 length}; length 0 is absent, otherwise exactly the
//    sub-message's struct size.
//  - a repeated field: {u64 offset, u64 count} of an array of elements: scalars at their natural
//    size (bool 1, 32-bit types and float 4, 64-bit types and double 8), strings/bytes as
//    {offset, length} pairs, messages as whole structs.
// Every offset is relative to the start of the heap the message is in.
#pragma once

#include <google/protobuf/descriptor.h>

#include <cstdint>
#include <vector>

namespace fixnet::rpc {

inline constexpr uint32_t kLayoutVersion = 1;

enum class SlotKind { kScalar, kBytes, kMessage, kRepeated };

struct FieldSlot {
  const google::protobuf::FieldDescriptor* field;
  SlotKind kind;
  uint64_t offset;  // within the message's struct
};

struct MessageLayout {
  uint64_t size = 0;
  std::vector<FieldSlot> slots;  // by field number
};

MessageLayout layout_of(const google::protobuf::Descriptor* message);
// Bytes of one element of a repeated field (or of a singular scalar's value, without the slot).
uint64_t element_bytes(const google::protobuf::FieldDescriptor* field);
// The C++ type a scalar is stored as ("int32_t", "double", "bool"…); for enums "int32_t".
const char* scalar_ctype(const google::protobuf::FieldDescriptor* field);
bool is_scalar(const google::protobuf::FieldDescriptor* field);

}  // namespace fixnet::rpc
