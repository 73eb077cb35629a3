// SDES keying (RFC 4568): the a=crypto attribute of SDP, as SIP phones and PBXs offer it, and the
// "inline:" keys operators put in config files. Control plane: returns Status on bad input.
#pragma once

#include <tessera/base/status.h>
#include <tessera/srtp/srtp_suite.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::srtp {

// Master Key Identifier of an SDES key ("|1:4" = value 1 carried in 4 bytes). SrtpSession does not
// use MKIs; the negotiator must refuse or avoid keys that carry one.
struct SdesMki {
  uint64_t value = 0;
  uint8_t length = 0;  // Bytes on the wire, 1..128.
};

struct SdesKey {
  // The a=crypto tag (0..999999999) that the answer must echo; 0 from ParseInlineKey.
  uint32_t tag = 0;
  SrtpSuite suite = SrtpSuite::kAesCm128HmacSha1_80;
  // Master key followed by master salt, KeyAndSaltLength(suite) bytes.
  std::vector<uint8_t> key;
  // Key lifetime in packets ("|2^20" or "|1048576"), if given.
  std::optional<uint64_t> lifetime;
  std::optional<SdesMki> mki;
  // Session parameters after the key ("KDR=1", "UNENCRYPTED_SRTCP", "WSH=64"), verbatim and in
  // order. SrtpSession implements none of them; the negotiator decides whether to accept them.
  std::vector<std::string> session_params;
};

// Parses the value of an a=crypto attribute:
//   "<tag> <suite> inline:<base64 key||salt>[|<lifetime>][|<mki>:<length>] [<session params>...]"
// e.g. "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32".
// A leading "a=crypto:" and trailing CR/LF are tolerated. Fails with INVALID_ARGUMENT for an
// unknown suite, a key method other than inline, several keys in one line (';'), bad base64, a key
// of the wrong length, or malformed lifetime/MKI fields.
StatusOr<SdesKey> ParseSdesCrypto(std::string_view attribute_value);

// Parses a key for a known suite as a config file holds it: "inline:<base64>" or bare base64,
// optionally followed by "|<lifetime>" and "|<mki>:<length>" as in ParseSdesCrypto. Base64 padding
// is optional. The result has tag 0 and no session parameters.
StatusOr<SdesKey> ParseInlineKey(SrtpSuite suite, std::string_view inline_value);

// "<tag> <suite> inline:<base64 key>", the value of an a=crypto attribute without lifetime, MKI or
// session parameters. `key` must be KeyAndSaltLength(suite) bytes; returns "" otherwise.
std::string FormatSdesCrypto(uint32_t tag, SrtpSuite suite, std::span<const uint8_t> key);

// A fresh random master key and salt (KeyAndSaltLength(suite) bytes) from OpenSSL's CSPRNG
// (RAND_bytes). Fails with INTERNAL if the generator cannot deliver.
StatusOr<std::vector<uint8_t>> GenerateSrtpKey(SrtpSuite suite);

}  // namespace tessera::srtp
