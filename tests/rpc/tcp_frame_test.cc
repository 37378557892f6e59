// The TCP transport's framing alone: header round trip, every refusal, and a reader fed one byte at
// a time.
#include <gtest/gtest.h>

#include <cstring>

#include "rpc/service_name.h"
#include "rpc/engine_state_codec.h"
#include "rpc/tcp_transport_frame.h"

namespace fixnet::rpc {
namespace {

FrameHeader request(uint64_t call_id, uint64_t length) {
  FrameHeader h;
  h.kind = FrameKind::kRequest;
  h.method = 3;
  h.call_id = call_id;
  h.payload_length = length;
  h.schema_hash[31] = 9;
  return h;
}

TEST(RpcFrame, HeaderRoundTripsLittleEndian) {
  const auto bytes = encode_frame_header(request(0x0102030405060708, 300));
  EXPECT_EQ(std::memcmp(bytes.data(), "FXRF", 4), 0);
  EXPECT_EQ(bytes[4], 1);   // version, low byte first
  EXPECT_EQ(bytes[16], 8);  // call id, low byte first
  EXPECT_EQ(bytes[24], 300 & 0xff);
  const FrameHeader h = decode_frame_header(bytes, 1000);
  EXPECT_EQ(h.kind, FrameKind::kRequest);
  EXPECT_EQ(h.method, 3u);
  EXPECT_EQ(h.call_id, 0x0102030405060708u);
  EXPECT_EQ(h.payload_length, 300u);
  EXPECT_EQ(h.schema_hash[31], 9);
}

TEST(RpcFrame, RefusesBadHeadersSayingWhy) {
  auto refused = [](FrameHeaderBytes bytes, uint64_t limit, const char* why, Status status) {
    try {
      decode_frame_header(bytes, limit);
      ADD_FAILURE() << "accepted: " << why;
    } catch (const FrameError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
      EXPECT_EQ(e.status, status);
    }
  };
  auto bytes = encode_frame_header(request(7, 10));
  refused(bytes, 9, "exceeds the limit", Status::kTooLarge);
  auto bad = bytes;
  bad[0] = 'G';
  refused(bad, 100, "magic", Status::kBadDescriptor);
  bad = bytes;
  bad[4] = 2;
  refused(bad, 100, "version 2", Status::kBadDescriptor);
  bad = bytes;
  bad[6] = 9;
  refused(bad, 100, "kind 9", Status::kBadDescriptor);
  bad = bytes;
  bad[11] = 1;
  refused(bad, 100, "reserved", Status::kBadDescriptor);
  FrameHeader hello;
  hello.kind = FrameKind::kHello;
  hello.payload_length = kMaxServiceName;  // a Hello carries the service name the peer calls
  EXPECT_NO_THROW(decode_frame_header(encode_frame_header(hello), 100));
  hello.payload_length = kMaxServiceName + 1;
  refused(encode_frame_header(hello), 100, "exceeds", Status::kTooLarge);
  try {
    decode_frame_header(encode_frame_header(request(7, 1 << 20)), 10);
  } catch (const FrameError& e) {
    EXPECT_EQ(e.call_id, 7u) << "a caller waiting on the frame can be answered";
  }
}

// Frames 1, 2, 3 with payloads of 5 × 'b', 10 × 'c', 15 × 'd'.
std::vector<uint8_t> three_frames() {
  std::vector<uint8_t> stream;
  for (uint64_t id = 1; id <= 3; ++id) {
    const auto h = encode_frame_header(request(id, id * 5));
    stream.insert(stream.end(), h.begin(), h.end());
    stream.insert(stream.end(), id * 5, static_cast<uint8_t>('a' + id));
  }
  return stream;
}

TEST(RpcFrame, ReaderAssemblesFramesFedOneByteAtATime) {
  const std::vector<uint8_t> stream = three_frames();
  FrameReader reader(100);
  std::vector<std::string> payloads;
  std::string current;
  for (uint8_t byte : stream) {
    auto space = reader.space();
    ASSERT_FALSE(space.empty());
    space[0] = byte;
    auto step = reader.advance(1);
    if (step == FrameReader::Step::kHeader) {
      current.assign(reader.header().payload_length, '\0');
      step = reader.accept({reinterpret_cast<uint8_t*>(current.data()), current.size()});
    }
    if (step == FrameReader::Step::kFrame) payloads.push_back(current);
  }
  EXPECT_EQ(payloads, (std::vector<std::string>{"bbbbb", std::string(10, 'c'), std::string(15, 'd')}));
  EXPECT_TRUE(reader.idle());
}

// An upgrade hands a reader's progress to a successor at any byte of the stream: cut there, the
// frames are the same — payloads accepted (frame 1 and 3) continue into the new destination, a
// payload being discarded (frame 2) stays discarded.
TEST(RpcFrame, ReaderResumesFromItsProgressAtEveryByte) {
  const std::vector<uint8_t> stream = three_frames();
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    std::vector<std::string> payloads;
    std::string current;
    auto decide = [&](FrameReader& reader) {
      current.assign(reader.header().payload_length, '\0');
      return reader.header().call_id == 2 ? reader.discard()
                                          : reader.accept({reinterpret_cast<uint8_t*>(current.data()), current.size()});
    };
    auto feed = [&](FrameReader& reader, size_t from, size_t to) {
      for (size_t i = from; i < to; ++i) {
        reader.space()[0] = stream[i];
        auto step = reader.advance(1);
        if (step == FrameReader::Step::kHeader) step = decide(reader);
        if (step == FrameReader::Step::kFrame) payloads.push_back(reader.header().call_id == 2 ? "-" : current);
      }
    };
    FrameReader old_reader(100), successor(100);
    feed(old_reader, 0, cut);
    if (successor.resume(old_reader.progress()) == FrameReader::Step::kHeader) {
      current.clear();  // the old destination is gone: what was received must come from the progress
      ASSERT_EQ(decide(successor), FrameReader::Step::kMore) << "cut at " << cut;
    }
    feed(successor, cut, stream.size());
    EXPECT_EQ(payloads, (std::vector<std::string>{"bbbbb", "-", std::string(15, 'd')})) << "cut at " << cut;
    EXPECT_TRUE(successor.idle());
  }
}

TEST(RpcFrame, ReaderRefusesProgressThatCannotBe) {
  FrameReader reader(100);
  FrameReader::Progress p;
  p.filled = 64;  // a complete header would have been decoded
  EXPECT_THROW(reader.resume(p), InputError);
  p.phase = FrameReader::Phase::kPayload;
  p.header_bytes = encode_frame_header(request(1, 5));
  p.filled = 5;  // the whole payload: the frame would have been complete
  p.payload.assign(5, 'x');
  EXPECT_THROW(reader.resume(p), InputError);
  p.filled = 2;  // two bytes said, five given
  EXPECT_THROW(reader.resume(p), InputError);
  p.header_bytes[0] = 'Y';  // no magic
  p.payload.assign(2, 'x');
  EXPECT_THROW(reader.resume(p), InputError);
}

// A state blob is untrusted: cut short anywhere, or with a count larger than it can hold, it is
// refused with InputError naming the engine — never read past its end.
TEST(RpcEngineState, ReaderRefusesTruncatedAndOversizedStates) {
  StateWriter out;
  RpcMessage m;
  m.call_id = 7, m.offset = 64, m.length = 32;
  auto wire = std::make_shared<WirePayload>();
  wire->made = "tag";
  wire->pieces = {{false, 0, 3}, {true, 64, 32}};
  wire->length = 35;
  m.wire = wire;
  out.put<uint64_t>(1), out.put_message(m);
  const EngineState state = std::move(out).finish(2);
  {
    StateReader in(state, "test");
    EXPECT_EQ(in.get<uint64_t>(), 1u);
    const RpcMessage back = in.get_message(4096);
    EXPECT_EQ(back.call_id, 7u);
    ASSERT_TRUE(back.wire);
    EXPECT_EQ(back.wire->made, "tag");
    EXPECT_EQ(back.wire->pieces.size(), 2u);
    in.expect_end();
  }
  for (size_t cut = 0; cut < state.bytes.size(); ++cut) {
    EngineState shorter{2, {state.bytes.begin(), state.bytes.begin() + static_cast<ptrdiff_t>(cut)}};
    StateReader in(shorter, "test");
    try {
      in.get<uint64_t>();
      in.get_message(4096);
      ADD_FAILURE() << "read a state cut at " << cut;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("test engine cannot restore"), std::string::npos) << e.what();
    }
  }
  StateReader small_heap(state, "test");
  small_heap.get<uint64_t>();
  EXPECT_THROW(small_heap.get_message(80), InputError) << "a message outside a heap of 80 bytes";
  StateWriter huge;
  huge.put<uint64_t>(uint64_t{1} << 60);
  const EngineState counted = std::move(huge).finish(2);
  StateReader count(counted, "test");
  EXPECT_THROW(count.get_count(8), InputError);
}

}  // namespace
}  // namespace fixnet::rpc
