// Small text helpers of SDP: sip's parser, writer and negotiator and webrtc's browser answer.
// Everything works on views and never reads outside them.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::sip::sdp_text {

inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }

inline std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// Splits off the next token separated by spaces or tabs; empty when none is left.
inline std::string_view NextToken(std::string_view& rest) {
  rest = Trim(rest);
  size_t end = 0;
  while (end < rest.size() && !IsBlank(rest[end])) ++end;
  std::string_view token = rest.substr(0, end);
  rest.remove_prefix(end);
  return token;
}

// Decimal digits only (no sign, no spaces) that fit T.
template <typename T>
std::optional<T> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  T value{};
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

// Two (or fewer) hex digits as a byte ("4d" -> 0x4d: profile-level-id); nullopt for others.
inline std::optional<uint8_t> ParseHexByte(std::string_view s) {
  if (s.empty() || s.size() > 2) return std::nullopt;
  uint8_t value = 0;
  for (char c : s) {
    uint8_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint8_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint8_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<uint8_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    value = static_cast<uint8_t>(value << 4 | digit);
  }
  return value;
}

inline char ToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

// "a=1;b=2; c" as (name, value) pairs, names as sent, blanks around each part trimmed. A part
// without '=' has an empty value.
inline std::vector<std::pair<std::string_view, std::string_view>> SplitFmtp(std::string_view s) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  while (!s.empty()) {
    const size_t semi = s.find(';');
    std::string_view part = Trim(s.substr(0, semi));
    s.remove_prefix(semi == std::string_view::npos ? s.size() : semi + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(part, std::string_view());
    } else {
      out.emplace_back(Trim(part.substr(0, eq)), Trim(part.substr(eq + 1)));
    }
  }
  return out;
}

// The value of fmtp parameter `name` (case-insensitive), or nullopt.
inline std::optional<std::string_view> FmtpValue(std::string_view params, std::string_view name) {
  for (const auto& [key, value] : SplitFmtp(params)) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

// Whether fmtp parameter `name` is present with exactly `value`.
inline bool FmtpIs(std::string_view params, std::string_view name, std::string_view value) {
  const std::optional<std::string_view> v = FmtpValue(params, name);
  return v && *v == value;
}

// Text from an offer as an error message may show it: letters, digits and "-._/+" (anything else
// becomes '?'), at most 24 characters.
inline std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 24)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '/' || c == '+';
    out += ok ? c : '?';
  }
  return out;
}

}  // namespace tessera::sip::sdp_text
