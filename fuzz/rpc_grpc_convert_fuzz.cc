// Fuzzes what gRPC interop does with the protobuf bytes an arbitrary gRPC client (or server) sends
// (src/rpc/grpc_convert.h and the marshaller generated for tests/rpc/schemas/all_types.proto, compiled
// in): the bytes arrive as a grpc::ByteBuffer of several slices, are copied into the receive heap
// (to_receive_buffer), decoded into the fixnet layout (unmarshal, as the marshalling engine does),
// encoded again (marshal, into a WirePayload of made bytes and heap references) and turned back into
// a ByteBuffer (to_byte_buffer). The first byte picks the method and direction, how the bytes are cut
// into slices and whether the receive heap has room. Contract checked: the receive buffer holds
// exactly the bytes, or there was no room; what decodes, libprotobuf parses too, and it comes back as
// bytes libprotobuf reads to the same message as the original (unknown fields aside); encoding is
// then a fixed point.
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuzz_datapath.h"
#include "rpc/grpc_convert.h"
#include "rpc/marshaller_abi.h"

extern "C" const fixnet_rpc_marshaller* fixnet_rpc_marshaller_entry(void);

namespace {

using namespace fixnet;
using namespace fixnet::rpc;
namespace pb = google::protobuf;

// The marshalling engine's sinks: a WirePayload of made bytes and heap references; layouts in the
// receive heap.
void copy(void* c, const uint8_t* bytes, uint64_t n) {
  auto& wire = *static_cast<WirePayload*>(c);
  wire.pieces.push_back({false, wire.made.size(), n});
  wire.made.append(reinterpret_cast<const char*>(bytes), n);
  wire.length += n;
}
void reference(void* c, uint64_t offset, uint64_t n) {
  auto& wire = *static_cast<WirePayload*>(c);
  wire.pieces.push_back({true, offset, n});
  wire.length += n;
}
uint8_t* allocate(void* c, uint64_t length, uint64_t* offset) {
  auto buffer = static_cast<fuzz::FuzzDatapath*>(c)->allocate_reply(length);
  if (!buffer) return nullptr;
  std::memset(buffer->bytes.data(), 0, length);
  *offset = buffer->offset;
  return buffer->bytes.data();
}

std::string bytes_of(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) std::abort();
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// Decodes `wire` into the layout (in context's receive heap) and encodes it again through the send
// heap; the status of decoding, and the bytes gRPC would send.
int round_trip(fuzz::FuzzDatapath& context, uint32_t method, int reply, std::span<const uint8_t> wire,
               std::string& out) {
  const fixnet_rpc_marshaller& m = *fixnet_rpc_marshaller_entry();
  fixnet_rpc_layout_sink layout{&context, &allocate};
  uint64_t offset = 0, length = 0;
  char error[200];
  const int status = m.unmarshal(method, reply, wire.data(), wire.size(), &layout, &offset, &length, error, sizeof error);
  if (status != 0) return status;
  // What the application receives it may send back (a serving application's reply, a forwarded call).
  auto& send = context.send();
  send.assign(context.receive_heap().begin(), context.receive_heap().end());
  WirePayload payload;
  fixnet_rpc_wire_sink sink{&payload, &copy, &reference};
  if (m.marshal(method, reply, send.data(), send.size(), offset, length, 1 << 22, &sink, error, sizeof error) != 0)
    std::abort();  // a layout the marshaller made must encode
  out = bytes_of(to_byte_buffer(context, payload));
  if (out.size() != payload.length) std::abort();
  return 0;
}

// libprotobuf's bytes for `m`, maps in key order (so equal messages give equal bytes).
std::string canonical(const pb::Message& m) {
  std::string s;
  {
    pb::io::StringOutputStream stream(&s);
    pb::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // libprotobuf logs each refusal (invalid UTF-8, …): millions of lines.
  [[maybe_unused]] static const auto quiet = pb::SetLogHandler([](pb::LogLevel, const char*, int, const std::string&) {});
  if (size < 1) return 0;
  const uint8_t select = data[0];
  const uint32_t method = 1 + (select & 3) % 3;
  const int reply = (select >> 2) & 1;
  const size_t cut = 1 + ((select >> 3) & 15) * 17;
  const bool room = (select & 0x80) == 0;
  const std::span<const uint8_t> input(data + 1, size - 1);

  std::vector<grpc::Slice> slices;
  for (size_t at = 0; at < input.size(); at += cut)
    slices.emplace_back(input.data() + at, std::min(cut, input.size() - at));
  const grpc::ByteBuffer buffer(slices.data(), slices.size());

  fuzz::FuzzDatapath context(&fuzz::all_types_schema(), room ? 1 << 16 : input.size() / 2);
  const auto received = to_receive_buffer(context, buffer);
  if (!received) {
    if (room) std::abort();
    return 0;
  }
  if (received->bytes.size() != input.size() ||
      (!input.empty() && std::memcmp(received->bytes.data(), input.data(), input.size()) != 0))
    std::abort();
  if (!room) return 0;

  const auto* rpc_method = fuzz::all_types_schema().method(method)->method;
  static pb::DynamicMessageFactory factory;
  const pb::Message& prototype = *factory.GetPrototype(reply ? rpc_method->output_type() : rpc_method->input_type());
  std::unique_ptr<pb::Message> original(prototype.New());
  const bool parses = original->ParseFromArray(input.data(), static_cast<int>(input.size()));

  std::string once;
  if (round_trip(context, method, reply, received->bytes, once) != 0) return 0;
  if (!parses) std::abort();  // we accepted what libprotobuf refuses
  std::unique_ptr<pb::Message> back(prototype.New());
  if (!back->ParseFromString(once)) std::abort();
  original->DiscardUnknownFields();
  if (canonical(*original) != canonical(*back)) std::abort();

  fuzz::FuzzDatapath again(&fuzz::all_types_schema(), 1 << 16);
  std::string twice;
  if (round_trip(again, method, reply, std::span(reinterpret_cast<const uint8_t*>(once.data()), once.size()), twice) != 0 ||
      twice != once)
    std::abort();
  return 0;
}
