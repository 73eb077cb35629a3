// STUN messages (RFC 8489) as ICE uses them (RFC 8445): the parser and the two integrity checks,
// MESSAGE-INTEGRITY (HMAC-SHA1, short-term credentials) and FINGERPRINT (CRC-32). The builder is
// in stun_writer.h.
#pragma once

#include <tessera/net/udp_socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::webrtc {

inline constexpr uint32_t kStunMagicCookie = 0x2112A442;
inline constexpr size_t kStunHeaderSize = 20;
inline constexpr size_t kStunAttributeHeaderSize = 4;
inline constexpr size_t kStunIntegritySize = 20;             // HMAC-SHA1
inline constexpr size_t kStunFingerprintSize = 4;            // CRC-32
inline constexpr uint32_t kStunFingerprintXor = 0x5354554E;  // "STUN"

// Larger messages are refused. An ICE check is about 100 bytes; RFC 8489 section 6.1 asks that a
// message over UDP fit the path MTU, so nothing legitimate on an ICE port is larger than this.
inline constexpr size_t kStunMaxMessageSize = 1500;
// More attributes than this and the message is refused (a browser's check carries 6 to 8).
inline constexpr size_t kStunMaxAttributes = 64;
// RFC 8489 section 14.3: USERNAME is shorter than 513 bytes.
inline constexpr size_t kStunMaxUsernameSize = 512;

using StunTransactionId = std::array<uint8_t, 12>;

// The method is 12 bits; ICE uses Binding only.
inline constexpr uint16_t kStunMethodBinding = 0x001;

enum class StunClass : uint8_t {
  kRequest = 0,
  kIndication = 1,
  kSuccessResponse = 2,
  kErrorResponse = 3,
};

// Attribute types this code reads or writes.
enum StunAttributeType : uint16_t {
  kStunAttrMappedAddress = 0x0001,
  kStunAttrUsername = 0x0006,
  kStunAttrMessageIntegrity = 0x0008,
  kStunAttrErrorCode = 0x0009,
  kStunAttrUnknownAttributes = 0x000A,
  kStunAttrMessageIntegritySha256 = 0x001C,
  kStunAttrXorMappedAddress = 0x0020,
  kStunAttrPriority = 0x0024,
  kStunAttrUseCandidate = 0x0025,
  kStunAttrSoftware = 0x8022,
  kStunAttrFingerprint = 0x8028,
  kStunAttrIceControlled = 0x8029,
  kStunAttrIceControlling = 0x802A,
};

// The 16-bit message type: method and class interleaved (RFC 8489 section 5).
uint16_t StunMessageType(uint16_t method, StunClass message_class);

struct StunErrorCode {
  int code = 0;  // 300..699
  std::string reason;
};

// A parsed message. Offsets are from the first byte of the message and point at an attribute's
// header, so the integrity checks can find what each one covers in the raw bytes.
struct StunMessage {
  uint16_t method = 0;
  StunClass message_class = StunClass::kRequest;
  StunTransactionId transaction_id{};

  std::optional<std::string> username;  // raw bytes; ICE: "<receiver ufrag>:<sender ufrag>"
  std::optional<size_t> integrity_offset;
  std::array<uint8_t, kStunIntegritySize> integrity{};
  // MESSAGE-INTEGRITY-SHA256 is noted, not verified: ICE (RFC 8445) authenticates with
  // MESSAGE-INTEGRITY, which every browser sends.
  bool has_integrity_sha256 = false;
  std::optional<size_t> fingerprint_offset;
  uint32_t fingerprint = 0;

  std::optional<uint32_t> priority;
  bool use_candidate = false;
  std::optional<uint64_t> ice_controlling;  // the sender's tie breaker
  std::optional<uint64_t> ice_controlled;
  std::optional<net::Endpoint> xor_mapped_address;
  std::optional<StunErrorCode> error_code;
  std::vector<uint16_t> unknown_attributes;  // an UNKNOWN-ATTRIBUTES attribute's list (in a 420)

  // Comprehension-required attributes (type < 0x8000) this parser does not know, in order, each
  // once: a request holding any is answered with 420 and this list.
  std::vector<uint16_t> unknown_required;

  bool IsBindingRequest() const {
    return method == kStunMethodBinding && message_class == StunClass::kRequest;
  }
};

// Parses one STUN message: the whole datagram (or TCP frame), nothing before or after it.
//
// Refused (nullopt): the first two bits are not zero; no magic cookie; a length that is not a
// multiple of 4 or not the number of bytes that follow the header; a message larger than
// kStunMaxMessageSize or with more than kStunMaxAttributes attributes; an attribute that runs past
// the end (with its padding); a known attribute of the wrong size or with an invalid value
// (address family, error class, USERNAME longer than kStunMaxUsernameSize).
//
// As RFC 8489 asks: only the first of repeated attributes counts; after MESSAGE-INTEGRITY only
// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are read; after FINGERPRINT nothing is; padding bytes
// may hold anything. Never throws; any bytes are safe.
std::optional<StunMessage> ParseStun(std::span<const uint8_t> data);

// Whether `raw` (the bytes `message` was parsed from) holds a MESSAGE-INTEGRITY that is the
// HMAC-SHA1, keyed with `key`, of the message up to that attribute, with the header's length as
// if the message ended after it (RFC 8489 section 14.5). ICE's key is the password of the agent
// that receives the request (and that sends the response), used as is. The comparison takes the
// same time whatever the bytes. False when there is no MESSAGE-INTEGRITY.
bool VerifyMessageIntegrity(const StunMessage& message, std::span<const uint8_t> raw,
                            std::string_view key);

// Whether `raw` ends with a FINGERPRINT that is the CRC-32 of everything before it XOR
// 0x5354554E (RFC 8489 section 14.7). False when there is none, or when it is not the last
// attribute.
bool VerifyFingerprint(const StunMessage& message, std::span<const uint8_t> raw);

// The values the two attributes must hold, for the writer and for tests. `attribute_offset` is
// where the attribute's header starts (or will start) in `raw`, which holds at least the bytes
// before it; the header's length field is taken as if the message ended after the attribute.
// nullopt when the offset is not a multiple of 4 between the header and kStunMaxMessageSize (or
// past the end of `raw`), or when OpenSSL fails.
std::optional<std::array<uint8_t, kStunIntegritySize>> ComputeMessageIntegrity(
    std::span<const uint8_t> raw, size_t attribute_offset, std::string_view key);
std::optional<uint32_t> ComputeFingerprint(std::span<const uint8_t> raw, size_t attribute_offset);

}  // namespace tessera::webrtc
