#include "sip/text.h"

#include <tessera/base/percent.h>

namespace tessera::sip::text {

bool IsTokenChar(char c) {
  if (IsAlnum(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsUnreserved(char c) {
  if (IsAlnum(c)) return true;
  switch (c) {
    case '-':
    case '_':
    case '.':
    case '!':
    case '~':
    case '*':
    case '\'':
    case '(':
    case ')':
      return true;
    default:
      return false;
  }
}

bool IsWordChar(char c) {
  if (IsTokenChar(c)) return true;
  switch (c) {
    case '(':
    case ')':
    case '<':
    case '>':
    case ':':
    case '\\':
    case '"':
    case '/':
    case '[':
    case ']':
    case '?':
    case '{':
    case '}':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

std::string_view TrimWs(std::string_view s) {
  while (!s.empty() && IsWsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWsp(s.back())) s.remove_suffix(1);
  return s;
}

void SkipWs(std::string_view& s) {
  while (!s.empty() && IsWsp(s.front())) s.remove_prefix(1);
}

std::string_view TakeToken(std::string_view& s) {
  size_t n = 0;
  while (n < s.size() && IsTokenChar(s[n])) ++n;
  const std::string_view token = s.substr(0, n);
  s.remove_prefix(n);
  return token;
}

bool TakeSeparator(std::string_view& s, char c) {
  std::string_view rest = s;
  SkipWs(rest);
  if (rest.empty() || rest.front() != c) return false;
  rest.remove_prefix(1);
  SkipWs(rest);
  s = rest;
  return true;
}

std::optional<std::string> TakeQuotedString(std::string_view& s) {
  if (s.empty() || s.front() != '"') return std::nullopt;
  std::string out;
  size_t i = 1;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') {
      s.remove_prefix(i + 1);
      return out;
    }
    if (c == '\\') {
      if (i + 1 >= s.size()) return std::nullopt;
      const char escaped = s[i + 1];
      if (escaped == '\r' || escaped == '\n' || static_cast<unsigned char>(escaped) > 0x7F) {
        return std::nullopt;
      }
      out.push_back(escaped);
      i += 2;
      continue;
    }
    // qdtext: LWS, printable ASCII except '"' and '\', and UTF-8 bytes.
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t') return std::nullopt;
    if (u == 0x7F) return std::nullopt;
    out.push_back(c);
    ++i;
  }
  return std::nullopt;
}

std::string Quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || (u < 0x20 && c != '\t') || u == 0x7F) {
      if (c == '\r' || c == '\n') continue;  // not representable; dropped
      out.push_back('\\');
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::optional<std::string> Unescape(std::string_view s) { return PercentDecode(s); }

std::string Escape(std::string_view s, bool (*allowed)(char)) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (allowed(c)) {
      out.push_back(c);
    } else {
      const auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

std::optional<uint64_t> ParseUint(std::string_view s, uint64_t max) {
  if (s.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace tessera::sip::text
