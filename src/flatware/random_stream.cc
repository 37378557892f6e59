#include "flatware/random_stream.h"

#include <openssl/evp.h>

#include <cstring>

#include "core/error.h"

namespace fixnet::flatware {

struct RandomStream::Cipher {
  EVP_CIPHER_CTX* ctx = nullptr;
};

RandomStream::RandomStream(const std::array<uint8_t, 32>& seed) : cipher_(new Cipher) {
  const uint8_t iv[16] = {};  // 32-bit block counter then 96-bit nonce, all zero
  cipher_->ctx = EVP_CIPHER_CTX_new();
  if (!cipher_->ctx || EVP_EncryptInit_ex(cipher_->ctx, EVP_chacha20(), nullptr, seed.data(), iv) != 1) {
    EVP_CIPHER_CTX_free(cipher_->ctx);
    delete cipher_;
    throw EnvironmentError("flatware: OpenSSL could not set up ChaCha20 for random_get");
  }
}

RandomStream::~RandomStream() {
  EVP_CIPHER_CTX_free(cipher_->ctx);
  delete cipher_;
}

void RandomStream::fill(uint8_t* out, uint64_t len) {
  // Encrypting zeros yields the keystream itself; OpenSSL keeps the partial block between calls.
  std::memset(out, 0, len);
  while (len > 0) {
    const int chunk = static_cast<int>(len < (1u << 30) ? len : (1u << 30));
    int produced = 0;
    if (EVP_EncryptUpdate(cipher_->ctx, out, &produced, out, chunk) != 1 || produced != chunk)
      throw EnvironmentError("flatware: OpenSSL ChaCha20 failed in random_get");
    out += chunk;
    len -= static_cast<uint64_t>(chunk);
  }
}

}  // namespace fixnet::flatware
