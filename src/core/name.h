// Name: the 32-byte identity of every Fix object (layout version 1; docs/format.md is the contract).
//
//   bytes 0..23   canonical: first 24 bytes of SHA-256 of the content's canonical bytes
//                 literal:   the blob's bytes (0..30 of them, in bytes 0..29, zero padded)
//                 local:     a process-local id (u64 LE in bytes 0..7, bytes 8..23 zero)
//   bytes 24..29  content size, 48-bit LE (canonical and local; literal: part of the data)
//   byte 30       bits 5..7 layout version (1); bits 0..4 literal length (0 otherwise)
//   byte 31       tag: bits 0..1 how (1 canonical, 2 literal, 3 local; 0 is the null Name)
//                      bit 2 content (0 Blob, 1 Tree): what the hash or the literal holds
//                      bits 3..4 thunk (0 none, 1 Application, 2 Identification, 3 Selection)
//                      bits 5..6 encode (0 none, 1 Strict, 2 Shallow)
//                      bit 7 ref (name known, contents not accessible to a procedure)
//
// A thunk's Name is its content's Name with the thunk bits set; an Encode's Name is its thunk's Name
// with the encode bits set. So a Name is compared, hashed and copied as 32 plain bytes. Names are
// values: trivially copyable, thread-safe to share.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace fixnet {

enum class How : uint8_t { Null = 0, Canonical = 1, Literal = 2, Local = 3 };
enum class Content : uint8_t { Blob = 0, Tree = 1 };
enum class ThunkKind : uint8_t { None = 0, Application = 1, Identification = 2, Selection = 3 };
enum class EncodeMode : uint8_t { None = 0, Strict = 1, Shallow = 2 };

// What a Name names, for printing and dispatch.
enum class Kind : uint8_t { Blob, Tree, Application, Identification, Selection, Strict, Shallow };

class Name {
 public:
  static constexpr uint8_t kLayoutVersion = 1;
  static constexpr size_t kMaxLiteral = 30;
  static constexpr uint64_t kMaxSize = (uint64_t{1} << 48) - 1;

  constexpr Name() = default;  // the null Name: names nothing

  // Names of content. blob_name() is literal for ≤ 30 bytes, canonical otherwise.
  static Name blob_name(std::string_view bytes);
  static Name tree_name(std::span<const Name> entries);
  static Name literal(std::string_view bytes);  // precondition: ≤ 30 bytes
  static Name canonical(Content content, std::span<const uint8_t, 24> hash, uint64_t size);
  static Name local(Content content, uint64_t id, uint64_t size);

  // Parses 32 raw bytes; throws InputError naming `what` when they are not a valid version-1 Name.
  static Name from_bytes(std::span<const uint8_t> bytes, std::string_view what);
  // Parses 64 hex digits; throws InputError.
  static Name from_hex(std::string_view hex);

  // Derived names: same content, other role. Each checks the role is meaningful and throws
  // InputError otherwise (e.g. an Application of a Blob, a Strict encode of a Blob).
  Name application() const;     // content must be a Tree
  Name identification() const;  // of a value (Blob or Tree)
  Name selection() const;       // content must be a Tree [target, index] or [target, begin, end]
  Name strict() const;          // of a thunk
  Name shallow() const;         // of a thunk
  Name as_ref() const;          // of a value
  Name unref() const;           // the accessible value named by a Ref (or itself)
  Name thunk() const;           // the thunk inside an Encode (or itself)
  Name content_name() const { return with_tag(tag() & 0x07); }  // the Blob or Tree the hash/literal holds, no roles

  How how() const { return static_cast<How>(tag() & 3); }
  Content content() const { return static_cast<Content>((tag() >> 2) & 1); }
  ThunkKind thunk_kind() const { return static_cast<ThunkKind>((tag() >> 3) & 3); }
  EncodeMode encode_mode() const { return static_cast<EncodeMode>((tag() >> 5) & 3); }
  bool is_ref() const { return (tag() >> 7) & 1; }
  // Inline, as size() and ==: the evaluator and the guest API ask these several times per call.
  Kind kind() const {
    if (encode_mode() != EncodeMode::None)
      return encode_mode() == EncodeMode::Strict ? Kind::Strict : Kind::Shallow;
    switch (thunk_kind()) {
      case ThunkKind::Application:
        return Kind::Application;
      case ThunkKind::Identification:
        return Kind::Identification;
      case ThunkKind::Selection:
        return Kind::Selection;
      default:
        return content() == Content::Tree ? Kind::Tree : Kind::Blob;
    }
  }

  bool is_null() const { return how() == How::Null; }
  bool is_blob() const { return kind() == Kind::Blob; }  // value kinds include Refs
  bool is_tree() const { return kind() == Kind::Tree; }
  bool is_value() const { return thunk_kind() == ThunkKind::None; }
  bool is_thunk() const { return thunk_kind() != ThunkKind::None && encode_mode() == EncodeMode::None; }
  bool is_encode() const { return encode_mode() != EncodeMode::None; }
  bool is_literal() const { return how() == How::Literal; }

  // Blob: bytes; Tree: entries. Of the content, whatever the role.
  uint64_t size() const {
    if (how() == How::Literal) return bytes_[30] & 0x1f;
    uint64_t s = 0;
    std::memcpy(&s, bytes_.data() + 24, 6);  // 48-bit little-endian
    if constexpr (std::endian::native == std::endian::big) s = __builtin_bswap64(s);
    return s;
  }
  // The literal's bytes (precondition: is_literal()).
  std::string_view literal_bytes() const;
  uint64_t local_id() const;

  const std::array<uint8_t, 32>& bytes() const { return bytes_; }
  std::string hex() const;
  std::string short_hex(size_t digits = 12) const { return hex().substr(0, digits); }

  // Four word compares, not a call to memcmp. Word by word: copying both Names into word arrays first
  // made GCC spill them to the stack and load them again (twice the instructions).
  friend bool operator==(const Name& a, const Name& b) {
    return ((a.word(0) ^ b.word(0)) | (a.word(1) ^ b.word(1)) | (a.word(2) ^ b.word(2)) |
            (a.word(3) ^ b.word(3))) == 0;
  }
  friend auto operator<=>(const Name& a, const Name& b) { return a.bytes_ <=> b.bytes_; }

  // Cheap, well-distributed hash for tables: canonical names are already uniformly random.
  size_t table_hash() const {
    uint64_t a, b;
    std::memcpy(&a, bytes_.data(), 8);
    std::memcpy(&b, bytes_.data() + 24, 8);
    return static_cast<size_t>(a ^ (b * 0x9e3779b97f4a7c15ULL));
  }

 private:
  uint8_t tag() const { return bytes_[31]; }
  uint64_t word(size_t i) const {
    uint64_t w;
    std::memcpy(&w, bytes_.data() + 8 * i, 8);
    return w;
  }
  // Rewrites the tag as part of the last 8-byte word: readers load Names by words (hashing,
  // comparing), and a word load after a byte store stalls store forwarding (~15 cycles, on every
  // content_name() of a hot path).
  Name with_tag(uint8_t tag) const {
    Name n = *this;
    uint64_t last;
    std::memcpy(&last, bytes_.data() + 24, 8);
    last = (last & ~(uint64_t{0xff} << 56)) | (uint64_t{tag} << 56);
    std::memcpy(n.bytes_.data() + 24, &last, 8);
    return n;
  }
  void validate(std::string_view what) const;

  std::array<uint8_t, 32> bytes_{};
};

static_assert(sizeof(Name) == 32);

std::string_view kind_name(Kind kind);  // "Blob", "Tree", "Application", …

struct NameHash {
  size_t operator()(const Name& n) const { return n.table_hash(); }
};

// SHA-256 of bytes (OpenSSL). Exposed for the benchmark's bare baseline and for verification.
std::array<uint8_t, 32> sha256(std::string_view bytes);

}  // namespace fixnet

template <>
struct std::hash<fixnet::Name> {
  size_t operator()(const fixnet::Name& n) const { return n.table_hash(); }
};
