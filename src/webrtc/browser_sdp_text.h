// Text helpers of the browser SDP answer (the SIP module keeps its own private copy). Everything
// works on views and never reads outside them.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::webrtc::sdp_text {

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

inline char ToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

// The value of fmtp parameter `name` (case-insensitive) in "a=1;b=2", blanks trimmed; nullopt
// when absent, empty for a parameter without '='.
inline std::optional<std::string_view> FmtpValue(std::string_view params, std::string_view name) {
  while (!params.empty()) {
    const size_t semi = params.find(';');
    std::string_view part = Trim(params.substr(0, semi));
    params.remove_prefix(semi == std::string_view::npos ? params.size() : semi + 1);
    const size_t eq = part.find('=');
    if (EqualsIgnoreCase(Trim(part.substr(0, eq)), name)) {
      return eq == std::string_view::npos ? std::string_view() : Trim(part.substr(eq + 1));
    }
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

}  // namespace tessera::webrtc::sdp_text
