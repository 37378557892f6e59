// RandomStream: random_get's deterministic generator. The bytes are the ChaCha20 keystream (OpenSSL)
// under key = the input's 32-byte seed, counter and nonce zero, handed out in order — so the stream
// is the same however the program splits its requests.
#pragma once

#include <array>
#include <cstdint>

namespace fixnet::flatware {

class RandomStream {
 public:
  explicit RandomStream(const std::array<uint8_t, 32>& seed);
  ~RandomStream();
  RandomStream(const RandomStream&) = delete;
  RandomStream& operator=(const RandomStream&) = delete;

  // Overwrites out[0, len) with the next len bytes of the stream.
  void fill(uint8_t* out, uint64_t len);

 private:
  struct Cipher;
  Cipher* cipher_;
};

}  // namespace fixnet::flatware
