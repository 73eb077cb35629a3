#include <tessera/sip/uri.h>

#include "sip/text.h"

namespace tessera::sip {
namespace {

using text::IsAlnum;
using text::IsAlpha;
using text::IsDigit;
using text::IsHex;
using text::IsUnreserved;

bool IsUserChar(char c) {
  if (IsUnreserved(c)) return true;
  switch (c) {
    case '&':
    case '=':
    case '+':
    case '$':
    case ',':
    case ';':
    case '?':
    case '/':
      return true;
    default:
      return false;
  }
}

bool IsPasswordChar(char c) {
  if (IsUnreserved(c)) return true;
  switch (c) {
    case '&':
    case '=':
    case '+':
    case '$':
    case ',':
      return true;
    default:
      return false;
  }
}

bool IsParamChar(char c) {
  if (IsUnreserved(c)) return true;
  switch (c) {
    case '[':
    case ']':
    case '/':
    case ':':
    case '&':
    case '+':
    case '$':
      return true;
    default:
      return false;
  }
}

bool IsHeaderChar(char c) {
  if (IsUnreserved(c)) return true;
  switch (c) {
    case '[':
    case ']':
    case '/':
    case '?':
    case ':':
    case '+':
    case '$':
      return true;
    default:
      return false;
  }
}

bool IsTelChar(char c) {
  return IsHex(c) || c == '*' || c == '#' || c == '+' || c == '-' || c == '.' || c == '(' ||
         c == ')';
}

// Checks that every character is allowed or starts a well-formed %XX escape, then unescapes.
std::optional<std::string> CheckedUnescape(std::string_view s, bool (*allowed)(char)) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !IsHex(s[i + 1]) || !IsHex(s[i + 2])) return std::nullopt;
      i += 2;
    } else if (!allowed(s[i])) {
      return std::nullopt;
    }
  }
  return text::Unescape(s);
}

UriParseResult Fail(std::string reason) { return UriParseResult{std::nullopt, std::move(reason)}; }

// ;name[=value] parameters up to the end of `s`.
bool ParseUriParams(std::string_view s, size_t max_params, Params& out, std::string& error) {
  while (!s.empty()) {
    if (s.front() != ';') {
      error = "bad URI parameter";
      return false;
    }
    s.remove_prefix(1);
    const size_t end = s.find(';');
    const std::string_view item = s.substr(0, end);
    s = end == std::string_view::npos ? std::string_view() : s.substr(end);
    const size_t eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    if (name.empty()) {
      error = "empty URI parameter";
      return false;
    }
    if (out.size() >= max_params) {
      error = "too many URI parameters";
      return false;
    }
    Param param;
    auto decoded_name = CheckedUnescape(name, IsParamChar);
    if (!decoded_name) {
      error = "bad URI parameter name";
      return false;
    }
    param.name = std::move(*decoded_name);
    // RFC 3261 19.1.1: a parameter name must not appear more than once.
    if (FindParam(out, param.name) != nullptr) {
      error = "repeated URI parameter";
      return false;
    }
    if (eq != std::string_view::npos) {
      auto value = CheckedUnescape(item.substr(eq + 1), IsParamChar);
      if (!value || value->empty()) {
        error = "bad URI parameter value";
        return false;
      }
      param.value = std::move(*value);
      param.has_value = true;
    }
    out.push_back(std::move(param));
  }
  return true;
}

bool ParseUriHeaders(std::string_view s, size_t max_params, SipUri& uri, std::string& error) {
  while (true) {
    const size_t end = s.find('&');
    const std::string_view item = s.substr(0, end);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      error = "bad URI header";
      return false;
    }
    auto name = CheckedUnescape(item.substr(0, eq), IsHeaderChar);
    auto value = CheckedUnescape(item.substr(eq + 1), IsHeaderChar);
    if (!name || !value) {
      error = "bad URI header";
      return false;
    }
    if (uri.headers.size() >= max_params) {
      error = "too many URI headers";
      return false;
    }
    uri.headers.emplace_back(std::move(*name), std::move(*value));
    if (end == std::string_view::npos) return true;
    s.remove_prefix(end + 1);
  }
}

bool ParseHostPort(std::string_view s, SipUri& uri, std::string& error) {
  std::string_view rest = s;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos || close < 3) {
      error = "bad IPv6 reference";
      return false;
    }
    for (char c : rest.substr(1, close - 1)) {
      if (!IsHex(c) && c != ':' && c != '.') {
        error = "bad IPv6 reference";
        return false;
      }
    }
    uri.host = text::Lower(rest.substr(0, close + 1));
    rest.remove_prefix(close + 1);
  } else {
    size_t n = 0;
    while (n < rest.size() && (IsAlnum(rest[n]) || rest[n] == '-' || rest[n] == '.')) ++n;
    if (n == 0) {
      error = "missing URI host";
      return false;
    }
    uri.host = text::Lower(rest.substr(0, n));
    rest.remove_prefix(n);
  }
  if (rest.empty()) return true;
  if (rest.front() != ':') {
    error = "bad URI host";
    return false;
  }
  rest.remove_prefix(1);
  auto port = text::ParseUint(rest, 65535);
  if (!port || rest.size() > 5) {
    error = "bad URI port";
    return false;
  }
  uri.port = static_cast<uint16_t>(*port);
  return true;
}

UriParseResult ParseSipOrSips(std::string_view rest, SipUri uri, const ParseLimits& limits) {
  std::string error;
  const size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const size_t colon = userinfo.find(':');
    auto user = CheckedUnescape(userinfo.substr(0, colon), IsUserChar);
    if (!user || user->empty()) return Fail("bad URI user");
    if (colon != std::string_view::npos) {
      if (!CheckedUnescape(userinfo.substr(colon + 1), IsPasswordChar)) {
        return Fail("bad URI password");
      }
      uri.had_password = true;
    }
    uri.user = std::move(*user);
    rest.remove_prefix(at + 1);
  }
  const size_t question = rest.find('?');
  std::string_view headers;
  if (question != std::string_view::npos) {
    headers = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  const size_t semi = rest.find(';');
  const std::string_view hostport = rest.substr(0, semi);
  if (!ParseHostPort(hostport, uri, error)) return Fail(error);
  if (semi != std::string_view::npos &&
      !ParseUriParams(rest.substr(semi), limits.max_params, uri.params, error)) {
    return Fail(error);
  }
  if (question != std::string_view::npos &&
      !ParseUriHeaders(headers, limits.max_params, uri, error)) {
    return Fail(error);
  }
  return UriParseResult{std::move(uri), {}};
}

UriParseResult ParseTel(std::string_view rest, SipUri uri, const ParseLimits& limits) {
  const size_t semi = rest.find(';');
  const std::string_view number = rest.substr(0, semi);
  if (number.empty()) return Fail("empty tel number");
  for (char c : number) {
    if (!IsTelChar(c)) return Fail("bad tel number");
  }
  uri.user = std::string(number);
  std::string error;
  if (semi != std::string_view::npos &&
      !ParseUriParams(rest.substr(semi), limits.max_params, uri.params, error)) {
    return Fail(error);
  }
  return UriParseResult{std::move(uri), {}};
}

bool ParamValuesEqual(const Param& a, const Param& b) {
  return a.has_value == b.has_value && text::EqualsIgnoreCase(a.value, b.value);
}

bool HasAllHeaders(const SipUri& a, const SipUri& b) {
  for (const auto& [name, value] : a.headers) {
    bool found = false;
    for (const auto& [other_name, other_value] : b.headers) {
      if (text::EqualsIgnoreCase(name, other_name) && value == other_value) found = true;
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace

const Param* FindParam(const Params& params, std::string_view name) {
  for (const Param& param : params) {
    if (text::EqualsIgnoreCase(param.name, name)) return &param;
  }
  return nullptr;
}

UriParseResult ParseUri(std::string_view s, const ParseLimits& limits) {
  if (s.size() > limits.max_uri_bytes) return Fail("URI too long");
  size_t n = 0;
  while (n < s.size() && (IsAlnum(s[n]) || s[n] == '+' || s[n] == '-' || s[n] == '.')) ++n;
  if (n == 0 || n >= s.size() || s[n] != ':' || !IsAlpha(s[0])) return Fail("bad URI scheme");
  SipUri uri;
  uri.scheme_name = text::Lower(s.substr(0, n));
  const std::string_view rest = s.substr(n + 1);
  if (uri.scheme_name == "sip" || uri.scheme_name == "sips") {
    uri.scheme = uri.scheme_name == "sip" ? UriScheme::kSip : UriScheme::kSips;
    return ParseSipOrSips(rest, std::move(uri), limits);
  }
  if (uri.scheme_name == "tel") {
    uri.scheme = UriScheme::kTel;
    return ParseTel(rest, std::move(uri), limits);
  }
  uri.scheme = UriScheme::kOther;
  if (rest.empty()) return Fail("empty URI");
  for (char c : rest) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || c == '<' || c == '>' || c == '"') return Fail("bad URI");
  }
  uri.opaque = std::string(rest);
  return UriParseResult{std::move(uri), {}};
}

std::string SerializeUri(const SipUri& uri) {
  std::string out = uri.scheme_name;
  out.push_back(':');
  if (uri.scheme == UriScheme::kOther) return out + uri.opaque;
  if (uri.scheme == UriScheme::kTel) {
    out += uri.user;
  } else {
    if (!uri.user.empty()) {
      out += text::Escape(uri.user, IsUserChar);
      out.push_back('@');
    }
    out += uri.host;
    if (uri.port) {
      out.push_back(':');
      out += std::to_string(*uri.port);
    }
  }
  for (const Param& param : uri.params) {
    out.push_back(';');
    out += text::Escape(param.name, IsParamChar);
    if (param.has_value) {
      out.push_back('=');
      out += text::Escape(param.value, IsParamChar);
    }
  }
  for (size_t i = 0; i < uri.headers.size(); ++i) {
    out.push_back(i == 0 ? '?' : '&');
    out += text::Escape(uri.headers[i].first, IsHeaderChar);
    out.push_back('=');
    out += text::Escape(uri.headers[i].second, IsHeaderChar);
  }
  return out;
}

bool UriEquals(const SipUri& a, const SipUri& b) {
  if (a.scheme != b.scheme || a.scheme_name != b.scheme_name) return false;
  if (a.scheme == UriScheme::kOther) return a.opaque == b.opaque;
  if (a.user != b.user || a.host != b.host || a.port != b.port) return false;
  // Parameters that must match when either side has them (19.1.4).
  for (std::string_view name : {"transport", "user", "ttl", "method", "maddr"}) {
    const Param* pa = FindParam(a.params, name);
    const Param* pb = FindParam(b.params, name);
    if ((pa == nullptr) != (pb == nullptr)) return false;
    if (pa != nullptr && !ParamValuesEqual(*pa, *pb)) return false;
  }
  for (const Param& pa : a.params) {
    const Param* pb = FindParam(b.params, pa.name);
    if (pb != nullptr && !ParamValuesEqual(pa, *pb)) return false;
  }
  return HasAllHeaders(a, b) && HasAllHeaders(b, a);
}

}  // namespace tessera::sip
