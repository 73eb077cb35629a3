// Base64url without padding (RFC 4648 section 5; RFC 7515 section 2), as JWTs and the key file use
// it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tessera::control {

std::string Base64UrlEncode(std::span<const uint8_t> bytes);
std::string Base64UrlEncode(std::string_view bytes);

// Strict: only A-Z a-z 0-9 '-' '_', no padding, no whitespace, no length that cannot come from
// encoding (size % 4 == 1), and the unused low bits of the last character must be zero, so every
// byte string has exactly one accepted encoding. nullopt on any violation.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace tessera::control
