// The TCP transport's framing alone: header round trip, every refusal, and a reader fed one byte at
// a time.
#include <gtest/gtest.h>

#include <cstring>

#include "rpc/service_name.h"
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

TEST(RpcFrame, ReaderAssemblesFramesFedOneByteAtATime) {
  std::vector<uint8_t> stream;
  for (uint64_t id = 1; id <= 3; ++id) {
    const auto h = encode_frame_header(request(id, id * 5));
    stream.insert(stream.end(), h.begin(), h.end());
    stream.insert(stream.end(), id * 5, static_cast<uint8_t>('a' + id));
  }
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

}  // namespace
}  // namespace fixnet::rpc
