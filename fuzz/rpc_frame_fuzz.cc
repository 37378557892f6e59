// Fuzzes the TCP transport's frame decoder (src/rpc/tcp_transport_frame.h): the first byte chooses
// the payload limit and how the stream is cut into reads, the rest is the byte stream a hostile peer
// sends. Every payload is accepted into a buffer of exactly its length, or (odd call ids) discarded.
// Contract checked: the reader never offers space beyond its frame; a decoded header's payload is
// within the limit (Error frames within kMaxErrorText, Hello frames empty); a header re-encodes to
// the same 64 bytes; bad headers throw FrameError only.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "rpc/service_name.h"
#include "rpc/tcp_transport_frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fixnet::rpc;
  if (size < 1) return 0;
  const uint64_t limit = uint64_t{1} << (data[0] & 15);
  const size_t chunk = 1 + (data[0] >> 4) * 7;
  std::span<const uint8_t> stream(data + 1, size - 1);
  if (stream.size() >= kFrameHeaderBytes) {
    try {
      const FrameHeader h = decode_frame_header(stream.first<kFrameHeaderBytes>(), limit);
      if (encode_frame_header(h) != [&] {
            FrameHeaderBytes b;
            std::memcpy(b.data(), stream.data(), b.size());
            return b;
          }())
        std::abort();
    } catch (const FrameError&) {
    }
  }
  FrameReader reader(limit);
  std::vector<uint8_t> payload;
  try {
    while (!stream.empty()) {
      const auto space = reader.space();
      if (space.empty()) std::abort();  // only empty while a header awaits a decision
      const size_t n = std::min({space.size(), chunk, stream.size()});
      std::memcpy(space.data(), stream.data(), n);
      stream = stream.subspan(n);
      auto step = reader.advance(n);
      if (step == FrameReader::Step::kHeader) {
        const FrameHeader& h = reader.header();
        const uint64_t cap = h.kind == FrameKind::kError ? kMaxErrorText : h.kind == FrameKind::kHello ? kMaxServiceName : limit;
        if (h.payload_length > cap) std::abort();
        if (h.call_id % 2 == 1) {
          step = reader.discard();
        } else {
          payload.assign(h.payload_length, 0);
          step = reader.accept(payload);
        }
        if ((step == FrameReader::Step::kFrame) != (h.payload_length == 0)) std::abort();
      }
    }
  } catch (const FrameError&) {
  }
  return 0;
}
