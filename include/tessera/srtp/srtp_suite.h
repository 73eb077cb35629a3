// SRTP crypto suites Tessera negotiates, named as in SDP (RFC 4568 section 6.2, RFC 7714 section
// 14.2), and the sizes of their keying material.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace tessera::srtp {

enum class SrtpSuite {
  kAesCm128HmacSha1_80,  // RFC 3711 default: AES-128 counter mode, 80-bit HMAC-SHA1 tag.
  kAesCm128HmacSha1_32,  // As above with a 32-bit SRTP tag (SRTCP keeps 80 bits).
  kAeadAes128Gcm,        // RFC 7714: AES-128-GCM, 128-bit tag.
};

// "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32" or "AEAD_AES_128_GCM".
std::string_view SrtpSuiteName(SrtpSuite suite);

// The suite with this SDP name (exact, case-sensitive as RFC 4568 specifies), or nullopt.
std::optional<SrtpSuite> SrtpSuiteFromName(std::string_view name);

// Master key length in bytes: 16 for every supported suite.
size_t MasterKeyLength(SrtpSuite suite);
// Master salt length in bytes: 14 for AES-CM, 12 for GCM.
size_t MasterSaltLength(SrtpSuite suite);
// Key followed by salt, the byte string an SDES "inline:" carries and SrtpSession::Create takes:
// 30 bytes for AES-CM, 28 for GCM.
size_t KeyAndSaltLength(SrtpSuite suite);

// Bytes an SRTP authentication tag adds after an RTP packet's payload: 10, 4 or 16.
size_t SrtpTagLength(SrtpSuite suite);
// Bytes SRTCP adds after an RTCP packet: the 4-byte E flag + index plus the tag (10 for both
// AES-CM suites, 16 for GCM).
size_t SrtcpTrailerLength(SrtpSuite suite);

}  // namespace tessera::srtp
