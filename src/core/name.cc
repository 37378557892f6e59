#include "core/name.h"

#include <openssl/evp.h>

#include <fmt/format.h>

#include "core/error.h"

namespace fixnet {
namespace {

constexpr uint8_t kVersionByte = Name::kLayoutVersion << 5;

uint8_t make_tag(How how, Content content, ThunkKind thunk = ThunkKind::None,
                 EncodeMode encode = EncodeMode::None, bool ref = false) {
  return static_cast<uint8_t>(static_cast<uint8_t>(how) | (static_cast<uint8_t>(content) << 2) |
                              (static_cast<uint8_t>(thunk) << 3) |
                              (static_cast<uint8_t>(encode) << 5) | (ref ? 0x80 : 0));
}

void put_size(std::array<uint8_t, 32>& b, uint64_t size) {
  for (int i = 0; i < 6; ++i) b[24 + i] = static_cast<uint8_t>(size >> (8 * i));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// OpenSSL 3's one-shot SHA256() looks the algorithm up and allocates a context on every call,
// which costs a third of the time of hashing 1 KiB. Fetch once, keep one context per thread.
class Sha256 {
 public:
  Sha256() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {}
  ~Sha256() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  std::array<uint8_t, 32> digest(const void* data, size_t size) {
    std::array<uint8_t, 32> out;
    if (!md_ || !ctx_ || EVP_DigestInit_ex2(ctx_, md_, nullptr) != 1 || EVP_DigestUpdate(ctx_, data, size) != 1 ||
        EVP_DigestFinal_ex(ctx_, out.data(), nullptr) != 1)
      throw EnvironmentError("OpenSSL's SHA-256 failed (is libssl3 installed and working?)");
    return out;
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

std::array<uint8_t, 32> digest(const void* data, size_t size) {
  thread_local Sha256 sha;
  return sha.digest(data, size);
}

}  // namespace

std::array<uint8_t, 32> sha256(std::string_view bytes) { return digest(bytes.data(), bytes.size()); }

Name Name::literal(std::string_view bytes) {
  Name n;
  std::memcpy(n.bytes_.data(), bytes.data(), bytes.size());
  n.bytes_[30] = static_cast<uint8_t>(kVersionByte | bytes.size());
  n.bytes_[31] = make_tag(How::Literal, Content::Blob);
  return n;
}

Name Name::canonical(Content content, std::span<const uint8_t, 24> hash, uint64_t size) {
  Name n;
  std::memcpy(n.bytes_.data(), hash.data(), 24);
  put_size(n.bytes_, size);
  n.bytes_[30] = kVersionByte;
  n.bytes_[31] = make_tag(How::Canonical, content);
  return n;
}

Name Name::local(Content content, uint64_t id, uint64_t size) {
  Name n;
  for (int i = 0; i < 8; ++i) n.bytes_[i] = static_cast<uint8_t>(id >> (8 * i));
  put_size(n.bytes_, size);
  n.bytes_[30] = kVersionByte;
  n.bytes_[31] = make_tag(How::Local, content);
  return n;
}

Name Name::blob_name(std::string_view bytes) {
  if (bytes.size() <= kMaxLiteral) return literal(bytes);
  if (bytes.size() > kMaxSize) throw InputError(fmt::format("blob of {} bytes is larger than a Name can describe (2^48 - 1)", bytes.size()));
  auto hash = digest(bytes.data(), bytes.size());
  return canonical(Content::Blob, std::span<const uint8_t, 24>(hash.data(), 24), bytes.size());
}

Name Name::tree_name(std::span<const Name> entries) {
  if (entries.size() > kMaxSize) throw InputError("tree has more entries than a Name can describe");
  // A Tree's canonical bytes are its entries' Names, 32 bytes each, in order.
  auto hash = digest(entries.data(), entries.size() * sizeof(Name));
  return canonical(Content::Tree, std::span<const uint8_t, 24>(hash.data(), 24), entries.size());
}

void Name::validate(std::string_view what) const {
  auto fail = [&](std::string_view why) {
    throw InputError(fmt::format("{}: not a valid Name ({}): {}", what, why, hex()));
  };
  if (how() == How::Null) fail("null Name");
  if ((bytes_[30] >> 5) != kLayoutVersion)
    fail(fmt::format("layout version {}, this fixnet reads version {}", bytes_[30] >> 5, kLayoutVersion));
  const uint8_t literal_len = bytes_[30] & 0x1f;
  if (how() == How::Literal) {
    if (content() != Content::Blob) fail("a literal must hold a Blob");
    if (literal_len > kMaxLiteral) fail("literal length over 30");
    for (size_t i = literal_len; i < 30; ++i)
      if (bytes_[i] != 0) fail("literal padding is not zero");
  } else {
    if (literal_len != 0) fail("length bits set on a non-literal");
  }
  if (how() == How::Local)
    for (size_t i = 8; i < 24; ++i)
      if (bytes_[i] != 0) fail("local id padding is not zero");
  if (encode_mode() == EncodeMode{3}) fail("unknown encode mode");
  const ThunkKind t = thunk_kind();
  if ((t == ThunkKind::Application || t == ThunkKind::Selection) && content() != Content::Tree)
    fail("an Application or Selection must name a Tree");
  if (encode_mode() != EncodeMode::None && t == ThunkKind::None) fail("an Encode must wrap a thunk");
  if (is_ref() && t != ThunkKind::None) fail("a Ref must name a value");
}

Name Name::from_bytes(std::span<const uint8_t> bytes, std::string_view what) {
  if (bytes.size() != 32) throw InputError(fmt::format("{}: a Name is 32 bytes, got {}", what, bytes.size()));
  Name n;
  std::memcpy(n.bytes_.data(), bytes.data(), 32);
  n.validate(what);
  return n;
}

Name Name::from_hex(std::string_view hex) {
  if (hex.size() != 64)
    throw InputError(fmt::format("'{}' is not a Name: a full Name is 64 hex digits, got {}", one_line(hex), hex.size()));
  std::array<uint8_t, 32> raw;
  for (size_t i = 0; i < 32; ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) throw InputError(fmt::format("'{}' is not a Name: only hex digits 0-9a-f are allowed", one_line(hex)));
    raw[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return from_bytes(raw, fmt::format("Name {}", hex));
}

std::string Name::hex() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(64, '0');
  for (size_t i = 0; i < 32; ++i) {
    out[2 * i] = digits[bytes_[i] >> 4];
    out[2 * i + 1] = digits[bytes_[i] & 15];
  }
  return out;
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::Blob: return "Blob";
    case Kind::Tree: return "Tree";
    case Kind::Application: return "Application";
    case Kind::Identification: return "Identification";
    case Kind::Selection: return "Selection";
    case Kind::Strict: return "Strict";
    case Kind::Shallow: return "Shallow";
  }
  return "?";
}

std::string_view Name::literal_bytes() const {
  return {reinterpret_cast<const char*>(bytes_.data()), static_cast<size_t>(bytes_[30] & 0x1f)};
}

uint64_t Name::local_id() const {
  uint64_t id = 0;
  for (int i = 0; i < 8; ++i) id |= uint64_t{bytes_[i]} << (8 * i);
  return id;
}

Name Name::application() const {
  if (!is_value() || is_ref() || content() != Content::Tree)
    throw InputError(fmt::format("an Application needs a Tree [limits, procedure, args…], got a {}", kind_name(kind())));
  return with_tag(make_tag(how(), content(), ThunkKind::Application));
}

Name Name::identification() const {
  if (!is_value()) throw InputError(fmt::format("an Identification needs a value, got a {}", kind_name(kind())));
  return with_tag(make_tag(how(), content(), ThunkKind::Identification, EncodeMode::None, false));
}

Name Name::selection() const {
  if (!is_value() || is_ref() || content() != Content::Tree || size() < 2 || size() > 3)
    throw InputError(fmt::format("a Selection needs a Tree [target, index] or [target, begin, end], got a {} of size {}", kind_name(kind()), size()));
  return with_tag(make_tag(how(), content(), ThunkKind::Selection));
}

Name Name::strict() const {
  if (!is_thunk()) throw InputError(fmt::format("a Strict encode needs a thunk, got a {}", kind_name(kind())));
  return with_tag(make_tag(how(), content(), thunk_kind(), EncodeMode::Strict));
}

Name Name::shallow() const {
  if (!is_thunk()) throw InputError(fmt::format("a Shallow encode needs a thunk, got a {}", kind_name(kind())));
  return with_tag(make_tag(how(), content(), thunk_kind(), EncodeMode::Shallow));
}

Name Name::as_ref() const {
  if (!is_value()) throw InputError(fmt::format("a Ref names a value, got a {}", kind_name(kind())));
  return with_tag(make_tag(how(), content(), ThunkKind::None, EncodeMode::None, true));
}

Name Name::unref() const { return is_ref() ? content_name() : *this; }

Name Name::thunk() const { return with_tag(make_tag(how(), content(), thunk_kind())); }

}  // namespace fixnet
