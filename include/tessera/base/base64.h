// Standard base64 (RFC 4648 section 4) on OpenSSL's block coder, strict where OpenSSL is lenient:
// SDES keys (srtp), H.264 sprop-parameter-sets (rtp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

// The bytes of `text`: the standard alphabet only, '=' padding optional but right when present.
// nullopt for empty text, text longer than max_length characters (bounds the work), any other
// character (blanks included), or a length no encoding has. Scratch copies are cleansed: keys
// pass through here. Runs on: any thread (pure).
std::optional<std::vector<uint8_t>> DecodeBase64(std::string_view text, size_t max_length);

// `bytes` in the standard alphabet, padded. Runs on: any thread (pure).
std::string EncodeBase64(std::span<const uint8_t> bytes);

}  // namespace tessera
