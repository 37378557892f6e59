#include "rpc/schema_layout.h"

#include <algorithm>

namespace fixnet::rpc {

namespace pb = google::protobuf;

bool is_scalar(const pb::FieldDescriptor* field) {
  const auto t = field->cpp_type();
  return t != pb::FieldDescriptor::CPPTYPE_STRING && t != pb::FieldDescriptor::CPPTYPE_MESSAGE;
}

const char* scalar_ctype(const pb::FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: return "int32_t";
    case pb::FieldDescriptor::CPPTYPE_INT64: return "int64_t";
    case pb::FieldDescriptor::CPPTYPE_UINT32: return "uint32_t";
    case pb::FieldDescriptor::CPPTYPE_UINT64: return "uint64_t";
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: return "double";
    case pb::FieldDescriptor::CPPTYPE_FLOAT: return "float";
    case pb::FieldDescriptor::CPPTYPE_BOOL: return "bool";
    case pb::FieldDescriptor::CPPTYPE_ENUM: return "int32_t";
    default: return "";
  }
}

uint64_t element_bytes(const pb::FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_BOOL: return 1;
    case pb::FieldDescriptor::CPPTYPE_INT32:
    case pb::FieldDescriptor::CPPTYPE_UINT32:
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
    case pb::FieldDescriptor::CPPTYPE_ENUM: return 4;
    case pb::FieldDescriptor::CPPTYPE_INT64:
    case pb::FieldDescriptor::CPPTYPE_UINT64:
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: return 8;
    case pb::FieldDescriptor::CPPTYPE_STRING: return 16;
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: return layout_of(field->message_type()).size;
  }
  return 0;
}

MessageLayout layout_of(const pb::Descriptor* message) {
  std::vector<const pb::FieldDescriptor*> fields;
  for (int i = 0; i < message->field_count(); ++i) fields.push_back(message->field(i));
  std::sort(fields.begin(), fields.end(), [](auto* a, auto* b) { return a->number() < b->number(); });
  MessageLayout layout;
  for (const auto* f : fields) {
    SlotKind kind = f->is_repeated() ? SlotKind::kRepeated
                    : f->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING  ? SlotKind::kBytes
                    : f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE ? SlotKind::kMessage
                                                                            : SlotKind::kScalar;
    layout.slots.push_back({f, kind, layout.size});
    layout.size += kind == SlotKind::kScalar ? 8 : 16;
  }
  layout.size = std::max<uint64_t>(layout.size, 8);
  return layout;
}

}  // namespace fixnet::rpc
