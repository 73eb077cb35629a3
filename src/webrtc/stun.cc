#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <tessera/base/byte_io.h>
#include <tessera/webrtc/stun.h>
#include <zlib.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>
#include <climits>
#include <utility>

namespace tessera::webrtc {
namespace {

constexpr uint8_t kFamilyIpv4 = 0x01;
constexpr uint8_t kFamilyIpv6 = 0x02;
// RFC 8489 section 14.8: the reason phrase is shorter than 128 characters (763 bytes).
constexpr size_t kMaxReasonSize = 763;

// What the parser has seen so far that changes how later attributes are read.
struct ParseState {
  bool after_integrity = false;    // later attributes but FINGERPRINT are ignored
  bool after_fingerprint = false;  // later attributes are ignored
};

// The XOR of an address with the magic cookie (and, for IPv6, the transaction id).
std::optional<net::Endpoint> ReadXorAddress(std::span<const uint8_t> value,
                                            const StunTransactionId& transaction_id) {
  if (value.size() < 4) return std::nullopt;
  const uint8_t family = value[1];
  const auto port = static_cast<uint16_t>(ReadBe16(&value[2]) ^ (kStunMagicCookie >> 16));
  uint8_t mask[16];
  WriteBe32(mask, kStunMagicCookie);
  std::copy(transaction_id.begin(), transaction_id.end(), mask + 4);
  if (family == kFamilyIpv4 && value.size() == 8) {
    boost::asio::ip::address_v4::bytes_type bytes{};
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = value[4 + i] ^ mask[i];
    return net::Endpoint(boost::asio::ip::address(boost::asio::ip::make_address_v4(bytes)), port);
  }
  if (family == kFamilyIpv6 && value.size() == 20) {
    boost::asio::ip::address_v6::bytes_type bytes{};
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = value[4 + i] ^ mask[i];
    return net::Endpoint(boost::asio::ip::address(boost::asio::ip::make_address_v6(bytes)), port);
  }
  return std::nullopt;
}

std::optional<StunErrorCode> ReadErrorCode(std::span<const uint8_t> value) {
  if (value.size() < 4 || value.size() > 4 + kMaxReasonSize) return std::nullopt;
  const int error_class = value[2] & 0x07;
  const int number = value[3];
  if (error_class < 3 || error_class > 6 || number > 99) return std::nullopt;
  StunErrorCode error;
  error.code = error_class * 100 + number;
  error.reason.assign(reinterpret_cast<const char*>(value.data()) + 4, value.size() - 4);
  return error;
}

// Reads one attribute into `m`. False when the message must be refused.
bool ReadAttribute(StunMessage& m, ParseState& state, uint16_t type, std::span<const uint8_t> value,
                   size_t offset) {
  if (state.after_fingerprint) return true;
  if (state.after_integrity && type != kStunAttrMessageIntegritySha256 &&
      type != kStunAttrFingerprint) {
    return true;
  }
  switch (type) {
    case kStunAttrUsername:
      if (value.size() > kStunMaxUsernameSize) return false;
      if (!m.username) {
        m.username.emplace(reinterpret_cast<const char*>(value.data()), value.size());
      }
      return true;
    case kStunAttrMessageIntegrity:
      if (value.size() != kStunIntegritySize) return false;
      m.integrity_offset = offset;
      std::copy(value.begin(), value.end(), m.integrity.begin());
      state.after_integrity = true;
      return true;
    case kStunAttrMessageIntegritySha256:
      // 16 to 32 bytes, a multiple of 4 (RFC 8489 section 14.6).
      if (value.size() < 16 || value.size() > 32 || value.size() % 4 != 0) return false;
      m.has_integrity_sha256 = true;
      state.after_integrity = true;
      return true;
    case kStunAttrFingerprint:
      if (value.size() != kStunFingerprintSize) return false;
      m.fingerprint_offset = offset;
      m.fingerprint = ReadBe32(value.data());
      state.after_fingerprint = true;
      return true;
    case kStunAttrPriority:
      if (value.size() != 4) return false;
      if (!m.priority) m.priority = ReadBe32(value.data());
      return true;
    case kStunAttrUseCandidate:
      if (!value.empty()) return false;
      m.use_candidate = true;
      return true;
    case kStunAttrIceControlled:
    case kStunAttrIceControlling: {
      if (value.size() != 8) return false;
      const uint64_t tie_breaker = (uint64_t{ReadBe32(value.data())} << 32) | ReadBe32(&value[4]);
      auto& field = type == kStunAttrIceControlling ? m.ice_controlling : m.ice_controlled;
      if (!field) field = tie_breaker;
      return true;
    }
    case kStunAttrXorMappedAddress: {
      auto address = ReadXorAddress(value, m.transaction_id);
      if (!address) return false;
      if (!m.xor_mapped_address) m.xor_mapped_address = *address;
      return true;
    }
    case kStunAttrErrorCode: {
      auto error = ReadErrorCode(value);
      if (!error) return false;
      if (!m.error_code) m.error_code = std::move(*error);
      return true;
    }
    case kStunAttrUnknownAttributes:
      if (value.size() % 2 != 0) return false;
      if (m.unknown_attributes.empty()) {
        for (size_t i = 0; i + 1 < value.size() && i / 2 < kStunMaxAttributes; i += 2) {
          m.unknown_attributes.push_back(ReadBe16(&value[i]));
        }
      }
      return true;
    case kStunAttrMappedAddress:
      return true;  // understood; XOR-MAPPED-ADDRESS is the one used
    default:
      // Comprehension-optional attributes (SOFTWARE, GOOG-NETWORK-INFO, ...) are skipped.
      if (type < 0x8000 && std::find(m.unknown_required.begin(), m.unknown_required.end(), type) ==
                               m.unknown_required.end()) {
        m.unknown_required.push_back(type);  // at most kStunMaxAttributes: the count is bounded
      }
      return true;
  }
}

}  // namespace

uint16_t StunMessageType(uint16_t method, StunClass message_class) {
  const auto c = static_cast<uint16_t>(message_class);
  return static_cast<uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                               ((method & 0x0F80) << 2) | ((c & 0x1) << 4) | ((c & 0x2) << 7));
}

std::optional<StunMessage> ParseStun(std::span<const uint8_t> data) {
  if (data.size() < kStunHeaderSize || data.size() > kStunMaxMessageSize) return std::nullopt;
  const uint16_t type = ReadBe16(&data[0]);
  if ((type & 0xC000) != 0) return std::nullopt;
  const size_t length = ReadBe16(&data[2]);
  if (length % 4 != 0 || length != data.size() - kStunHeaderSize) return std::nullopt;
  if (ReadBe32(&data[4]) != kStunMagicCookie) return std::nullopt;

  StunMessage m;
  m.method =
      static_cast<uint16_t>((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
  m.message_class = static_cast<StunClass>(((type >> 7) & 0x2) | ((type >> 4) & 0x1));
  std::copy(data.begin() + 8, data.begin() + kStunHeaderSize, m.transaction_id.begin());

  ParseState state;
  size_t pos = kStunHeaderSize;
  size_t count = 0;
  while (pos < data.size()) {
    if (++count > kStunMaxAttributes) return std::nullopt;
    if (data.size() - pos < kStunAttributeHeaderSize) return std::nullopt;
    const uint16_t attribute_type = ReadBe16(&data[pos]);
    const size_t attribute_length = ReadBe16(&data[pos + 2]);
    const size_t padded = (attribute_length + 3) & ~size_t{3};
    if (data.size() - pos - kStunAttributeHeaderSize < padded) return std::nullopt;
    const auto value = data.subspan(pos + kStunAttributeHeaderSize, attribute_length);
    if (!ReadAttribute(m, state, attribute_type, value, pos)) return std::nullopt;
    pos += kStunAttributeHeaderSize + padded;
  }
  return m;
}

std::optional<std::array<uint8_t, kStunIntegritySize>> ComputeMessageIntegrity(
    std::span<const uint8_t> raw, size_t attribute_offset, std::string_view key) {
  if (attribute_offset < kStunHeaderSize || attribute_offset % 4 != 0 ||
      attribute_offset > raw.size() || attribute_offset > kStunMaxMessageSize ||
      key.size() > static_cast<size_t>(INT_MAX)) {
    return std::nullopt;
  }
  // The HMAC covers the header with the length of a message that ends after this attribute.
  std::array<uint8_t, kStunMaxMessageSize> covered{};
  std::copy(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(attribute_offset),
            covered.begin());
  WriteBe16(&covered[2], static_cast<uint16_t>(attribute_offset + kStunAttributeHeaderSize +
                                               kStunIntegritySize - kStunHeaderSize));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  // A non-null pointer even for an empty key: some OpenSSL 3.0 releases fail HMAC on NULL.
  static const unsigned char kNoKey = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kNoKey) : key.data();
  if (HMAC(EVP_sha1(), key_ptr, static_cast<int>(key.size()), covered.data(), attribute_offset, md,
           &md_len) == nullptr ||
      md_len != kStunIntegritySize) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::array<uint8_t, kStunIntegritySize> out{};
  std::copy(md, md + kStunIntegritySize, out.begin());
  return out;
}

std::optional<uint32_t> ComputeFingerprint(std::span<const uint8_t> raw, size_t attribute_offset) {
  if (attribute_offset < kStunHeaderSize || attribute_offset % 4 != 0 ||
      attribute_offset > raw.size() || attribute_offset > kStunMaxMessageSize) {
    return std::nullopt;
  }
  uint8_t header[kStunHeaderSize];
  std::copy(raw.begin(), raw.begin() + kStunHeaderSize, header);
  WriteBe16(&header[2], static_cast<uint16_t>(attribute_offset + kStunAttributeHeaderSize +
                                              kStunFingerprintSize - kStunHeaderSize));
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, header, static_cast<uInt>(kStunHeaderSize));
  crc = crc32(crc, raw.data() + kStunHeaderSize,
              static_cast<uInt>(attribute_offset - kStunHeaderSize));
  return static_cast<uint32_t>(crc) ^ kStunFingerprintXor;
}

bool VerifyMessageIntegrity(const StunMessage& message, std::span<const uint8_t> raw,
                            std::string_view key) {
  if (!message.integrity_offset) return false;
  const size_t offset = *message.integrity_offset;
  if (offset > raw.size() || raw.size() - offset < kStunAttributeHeaderSize + kStunIntegritySize) {
    return false;
  }
  const auto expected = ComputeMessageIntegrity(raw, offset, key);
  if (!expected) return false;
  return CRYPTO_memcmp(expected->data(), raw.data() + offset + kStunAttributeHeaderSize,
                       kStunIntegritySize) == 0;
}

bool VerifyFingerprint(const StunMessage& message, std::span<const uint8_t> raw) {
  if (!message.fingerprint_offset) return false;
  const size_t offset = *message.fingerprint_offset;
  if (offset > raw.size() ||
      raw.size() - offset != kStunAttributeHeaderSize + kStunFingerprintSize) {
    return false;  // FINGERPRINT must be the last attribute
  }
  const auto expected = ComputeFingerprint(raw, offset);
  return expected && *expected == ReadBe32(raw.data() + offset + kStunAttributeHeaderSize);
}

}  // namespace tessera::webrtc
