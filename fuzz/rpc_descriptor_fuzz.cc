// Fuzzes the RPC descriptor validator (src/rpc/descriptor.h) and the control-message decoders
// (src/rpc/control_protocol.h): the first 24 bytes choose the limits, the next 64 are a descriptor
// as a hostile application would write it, the rest a control packet.
// Contract checked: validation never crashes; an accepted Request lies inside the send heap and
// within the length limit; an accepted Release points into the receive heap; decoders either
// decode or throw InputError.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "core/error.h"
#include "rpc/control_protocol.h"
#include "rpc/descriptor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fixnet::rpc;
  if (size < 24 + sizeof(Descriptor)) return 0;
  DescriptorLimits limits;
  std::memcpy(&limits.send_heap_bytes, data, 8);
  std::memcpy(&limits.receive_heap_bytes, data + 8, 8);
  std::memcpy(&limits.max_message_bytes, data + 16, 8);
  fixnet::net::QueueSlot slot;
  std::memcpy(slot.bytes.data(), data + 24, sizeof slot);
  const Descriptor d = from_slot(slot);
  const Status status = validate_descriptor(d, limits);
  if (status == Status::kOk) {
    if (d.kind == Kind::kRequest) {
      if (d.length > limits.max_message_bytes || d.offset > limits.send_heap_bytes ||
          d.length > limits.send_heap_bytes - d.offset)
        std::abort();
    } else if (d.kind == Kind::kRelease) {
      if (d.offset >= limits.receive_heap_bytes) std::abort();
    } else {
      std::abort();
    }
  }
  (void)status_text(status);
  const std::span<const uint8_t> packet(data + 24 + sizeof(Descriptor), size - 24 - sizeof(Descriptor));
  try {
    decode_hello(packet);
  } catch (const fixnet::InputError&) {
  }
  try {
    decode_reply(packet);
  } catch (const fixnet::InputError&) {
  }
  return 0;
}
