// Character classes and small scanners of the SIP grammar (RFC 3261 25.1), over string views.
// Nothing here allocates except Unescape and the case helpers; nothing reads past the view.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::sip::text {

inline bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
inline bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline bool IsWsp(char c) { return c == ' ' || c == '\t'; }
// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
bool IsTokenChar(char c);
// unreserved = alphanum / mark; mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
bool IsUnreserved(char c);
// word = 1*(token chars / "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" /
// "{" / "}") (Call-ID)
bool IsWordChar(char c);

bool IsToken(std::string_view s);
char ToLower(char c);
std::string Lower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

std::string_view TrimWs(std::string_view s);
// Drops leading spaces and tabs from `s`.
void SkipWs(std::string_view& s);
// Takes the longest prefix of token characters (may be empty).
std::string_view TakeToken(std::string_view& s);
// Takes one character `c` after optional whitespace, and the whitespace after it.
bool TakeSeparator(std::string_view& s, char c);

// Parses a quoted-string at the start of `s` (which must start with '"'); returns its content
// with quoted-pairs resolved and advances `s` past the closing quote. nullopt if unterminated or
// holding a character qdtext does not allow.
std::optional<std::string> TakeQuotedString(std::string_view& s);
// Quotes `s` for a quoted-string, escaping '"', '\' and control characters.
std::string Quote(std::string_view s);

// Decodes %XX escapes; nullopt on a malformed escape.
std::optional<std::string> Unescape(std::string_view s);
// Escapes every byte for which `allowed` is false as %XX.
std::string Escape(std::string_view s, bool (*allowed)(char));

// Parses 1*DIGIT with no sign into a value <= max; nullopt if empty, not all digits or too large.
std::optional<uint64_t> ParseUint(std::string_view s, uint64_t max);

// Splits `s` at commas that are outside quoted strings and angle brackets. Calls emit(item) for
// each trimmed item; stops and returns false if an item is empty, there are more than
// max_items, quotes are unbalanced, or emit returns false.
template <typename Emit>
bool SplitList(std::string_view s, size_t max_items, Emit&& emit) {
  size_t count = 0;
  size_t start = 0;
  bool quoted = false;
  bool angle = false;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size()) {
      const char c = s[i];
      if (quoted) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          quoted = false;
        }
        continue;
      }
      if (c == '"') {
        quoted = true;
        continue;
      }
      if (c == '<') angle = true;
      if (c == '>') angle = false;
      if (c != ',' || angle) continue;
    }
    const std::string_view item = TrimWs(s.substr(start, i - start));
    if (item.empty() || ++count > max_items || !emit(item)) return false;
    start = i + 1;
  }
  return !quoted;
}

}  // namespace tessera::sip::text
