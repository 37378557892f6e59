// Fuzzes a generated marshaller (the code the RPC service generates from a schema; here
// tests/rpc/schemas/all_types.proto, generated at build time by `fixnet rpc generate` and compiled
// in): the first byte picks
//   even: wire bytes from a peer → unmarshal (request or reply of a method); what decodes must marshal
//         back, and marshalling is then a fixed point (same bytes after another round trip);
//   odd:  a hostile application's heap → marshal from an offset the input names; what marshals must
//         unmarshal again.
// Nothing may crash, read out of bounds or loop; refusals are statuses.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "rpc/marshaller_abi.h"

extern "C" const fixnet_rpc_marshaller* fixnet_rpc_marshaller_entry(void);

namespace {

struct Heap {
  std::vector<uint8_t> bytes;
  uint64_t used = 8;
};

uint8_t* allocate(void* c, uint64_t length, uint64_t* offset) {
  Heap& h = *static_cast<Heap*>(c);
  h.used = (h.used + 7) & ~uint64_t{7};
  if (length > h.bytes.size() - h.used) return nullptr;
  *offset = h.used;
  h.used += length;
  std::memset(h.bytes.data() + *offset, 0, length);
  return h.bytes.data() + *offset;
}

struct Out {
  const Heap* heap;
  std::string wire;
};

void copy(void* c, const uint8_t* bytes, uint64_t n) { static_cast<Out*>(c)->wire.append(reinterpret_cast<const char*>(bytes), n); }
void reference(void* c, uint64_t offset, uint64_t n) {
  auto* o = static_cast<Out*>(c);
  if (offset > o->heap->bytes.size() || n > o->heap->bytes.size() - offset) __builtin_trap();  // the marshaller's promise
  o->wire.append(reinterpret_cast<const char*>(o->heap->bytes.data() + offset), n);
}

int marshal(const fixnet_rpc_marshaller* m, uint32_t method, int reply, const Heap& heap, uint64_t offset,
            uint64_t length, std::string& wire) {
  Out out{&heap, {}};
  fixnet_rpc_wire_sink sink{&out, &copy, &reference};
  char error[128];
  const int status = m->marshal(method, reply, heap.bytes.data(), heap.bytes.size(), offset, length, 1 << 16, &sink,
                                error, sizeof error);
  wire = std::move(out.wire);
  return status;
}

int unmarshal(const fixnet_rpc_marshaller* m, uint32_t method, int reply, const std::string& wire, Heap& heap,
              uint64_t& offset, uint64_t& length) {
  fixnet_rpc_layout_sink sink{&heap, &allocate};
  char error[128];
  return m->unmarshal(method, reply, reinterpret_cast<const uint8_t*>(wire.data()), wire.size(), &sink, &offset,
                      &length, error, sizeof error);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const fixnet_rpc_marshaller* m = fixnet_rpc_marshaller_entry();
  const uint32_t method = 1 + (data[0] >> 2) % (m->method_count + 1);  // sometimes an unknown method
  const int reply = (data[0] >> 1) & 1;
  if ((data[0] & 1) == 0) {
    const std::string wire(reinterpret_cast<const char*>(data + 1), size - 1);
    Heap heap{std::vector<uint8_t>(1 << 16)};
    uint64_t offset = 0, length = 0;
    if (unmarshal(m, method, reply, wire, heap, offset, length) != 0) return 0;
    std::string once, twice;
    if (marshal(m, method, reply, heap, offset, length, once) != 0) __builtin_trap();
    Heap again{std::vector<uint8_t>(1 << 16)};
    if (unmarshal(m, method, reply, once, again, offset, length) != 0) __builtin_trap();
    if (marshal(m, method, reply, again, offset, length, twice) != 0 || once != twice) __builtin_trap();
    return 0;
  }
  if (size < 17) return 0;
  uint64_t offset, length;
  std::memcpy(&offset, data + 1, 8);
  std::memcpy(&length, data + 9, 8);
  Heap heap{std::vector<uint8_t>(data + 17, data + size)};
  offset %= heap.bytes.size() + 16;
  length %= 1024;
  std::string wire;
  if (marshal(m, method, reply, heap, offset, length, wire) != 0) return 0;
  Heap back{std::vector<uint8_t>(1 << 16)};
  uint64_t o2, l2;
  const int status = unmarshal(m, method, reply, wire, back, o2, l2);
  if (status != 0 && status != 5) __builtin_trap();
  return 0;
}
