/* The interface between the RPC service and the marshalling code it generates from a schema and
 * compiles into a shared object (docs/rpc.md, "Marshalling"). Plain C: this very text is also
 * pasted at the top of every generated source, so both sides always declare the same thing.
 *
 * The object exports `const struct fixnet_rpc_marshaller* fixnet_rpc_marshaller_entry(void)`.
 * marshal() turns a message in the heap layout into the protobuf wire encoding, as a list of pieces:
 * bytes it made (tags, lengths, numbers: copied by the sink) and ranges of the heap (string and
 * bytes fields: referenced in place, never copied). unmarshal() turns wire bytes into the heap
 * layout, in one buffer the sink allocates. Both return 0, or a status (rpc::Status: 8 bad message,
 * 3 too large) with a one-line reason in `error`. Neither trusts its input: every offset and length
 * of a layout is checked against the heap, each struct is copied before it is read, and wire bytes
 * are parsed with bounds checks and a nesting limit. */
#ifndef FIXNET_RPC_MARSHALLER_ABI_H
#define FIXNET_RPC_MARSHALLER_ABI_H

#include <stddef.h>
#include <stdint.h>

#define FIXNET_RPC_MARSHALLER_ABI_VERSION 1u
#define FIXNET_RPC_MARSHALLER_ENTRY "fixnet_rpc_marshaller_entry"

#ifdef __cplusplus
extern "C" {
#endif

struct fixnet_rpc_wire_sink {
  void* context;
  /* Bytes the marshaller made; valid only during the call: copy them. */
  void (*copy)(void* context, const uint8_t* bytes, uint64_t length);
  /* Heap bytes at [offset, offset + length), already checked against the heap: send them from there. */
  void (*reference)(void* context, uint64_t offset, uint64_t length);
};

struct fixnet_rpc_layout_sink {
  void* context;
  /* A zeroed buffer of `length` bytes in the destination heap, or NULL when there is no room;
   * `*heap_offset` says where it is. */
  uint8_t* (*allocate)(void* context, uint64_t length, uint64_t* heap_offset);
};

struct fixnet_rpc_marshaller {
  uint32_t abi_version; /* FIXNET_RPC_MARSHALLER_ABI_VERSION */
  uint32_t layout_version;
  uint8_t schema_hash[32];
  uint32_t method_count; /* methods are 1..method_count */
  /* The request (reply = 0) or reply (reply = 1) of `method`, laid out at heap [offset, offset +
   * length), to at most `max_wire` wire bytes. */
  int (*marshal)(uint32_t method, int reply, const uint8_t* heap, uint64_t heap_size, uint64_t offset,
                 uint64_t length, uint64_t max_wire, struct fixnet_rpc_wire_sink* sink, char* error,
                 size_t error_size);
  /* Wire bytes of the request or reply of `method` → its layout in a buffer from `sink`; the message's
   * heap offset and length (its root struct) in *offset and *length. */
  int (*unmarshal)(uint32_t method, int reply, const uint8_t* wire, uint64_t wire_length,
                   struct fixnet_rpc_layout_sink* sink, uint64_t* offset, uint64_t* length, char* error,
                   size_t error_size);
};

#ifdef __cplusplus
}
#endif

#endif
