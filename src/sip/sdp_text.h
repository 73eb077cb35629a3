// Small text helpers shared by the SDP parser, writer and negotiator. Everything works on views and
// never reads outside them.
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

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
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

}  // namespace tessera::sip::sdp_text
