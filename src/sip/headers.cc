#include <tessera/sip/headers.h>

#include "sip/text.h"

namespace tessera::sip {
namespace {

using text::SkipWs;
using text::TakeSeparator;
using text::TakeToken;

template <typename T>
HeaderResult<T> Error(std::string reason) {
  return HeaderResult<T>{std::nullopt, std::move(reason)};
}

bool IsHostChar(char c) { return text::IsAlnum(c) || c == '-' || c == '.'; }

// A generic-param value that is not quoted: token / host (IPv6 references included).
bool IsGenValueChar(char c) { return text::IsTokenChar(c) || c == ':' || c == '[' || c == ']'; }

std::string_view TakeHost(std::string_view& s) {
  size_t n = 0;
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos) return {};
    n = close + 1;
  } else {
    while (n < s.size() && IsHostChar(s[n])) ++n;
  }
  const std::string_view host = s.substr(0, n);
  s.remove_prefix(n);
  return host;
}

std::optional<Via> ParseOneVia(std::string_view s, const ParseLimits& limits, std::string& error) {
  Via via;
  const std::string_view name = TakeToken(s);
  if (name.empty() || !TakeSeparator(s, '/')) {
    error = "bad Via: sent-protocol";
    return std::nullopt;
  }
  const std::string_view version = TakeToken(s);
  if (version.empty() || !TakeSeparator(s, '/')) {
    error = "bad Via: sent-protocol";
    return std::nullopt;
  }
  const std::string_view transport = TakeToken(s);
  if (transport.empty() || s.empty() || !text::IsWsp(s.front())) {
    error = "bad Via: transport";
    return std::nullopt;
  }
  via.protocol = text::Lower(name) == "sip" ? "SIP/" : std::string(name) + "/";
  via.protocol += version;
  via.transport = std::string(transport);
  for (char& c : via.transport) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  SkipWs(s);
  const std::string_view host = TakeHost(s);
  if (host.empty()) {
    error = "bad Via: sent-by host";
    return std::nullopt;
  }
  via.host = text::Lower(host);
  if (TakeSeparator(s, ':')) {
    size_t n = 0;
    while (n < s.size() && text::IsDigit(s[n])) ++n;
    auto port = n <= 5 ? text::ParseUint(s.substr(0, n), 65535) : std::nullopt;
    if (!port) {
      error = "bad Via: port";
      return std::nullopt;
    }
    via.port = static_cast<uint16_t>(*port);
    s.remove_prefix(n);
  }
  if (!ParseHeaderParams(s, limits.max_params, via.params, error)) {
    error = "bad Via: " + error;
    return std::nullopt;
  }
  for (const Param& p : via.params) {
    const std::string name_lower = text::Lower(p.name);
    if (name_lower == "branch") {
      if (!p.has_value) {
        error = "bad Via: empty branch";
        return std::nullopt;
      }
      via.branch = p.value;
    } else if (name_lower == "received") {
      via.received = p.value;
    } else if (name_lower == "rport") {
      via.rport = true;
      if (p.has_value) {
        auto port = text::ParseUint(p.value, 65535);
        if (!port) {
          error = "bad Via: rport";
          return std::nullopt;
        }
        via.rport_value = static_cast<uint16_t>(*port);
      }
    } else if (name_lower == "maddr") {
      via.maddr = p.value;
    } else if (name_lower == "ttl") {
      auto ttl = text::ParseUint(p.value, 255);
      if (!ttl) {
        error = "bad Via: ttl";
        return std::nullopt;
      }
      via.ttl = static_cast<uint8_t>(*ttl);
    }
  }
  return via;
}

bool ParseDisplayTokens(std::string_view s, std::string& out) {
  s = text::TrimWs(s);
  while (!s.empty()) {
    const std::string_view token = TakeToken(s);
    if (token.empty()) return false;
    if (!s.empty() && !text::IsWsp(s.front())) return false;
    SkipWs(s);
    if (!out.empty()) out.push_back(' ');
    out += token;
  }
  return true;
}

}  // namespace

bool ParseHeaderParams(std::string_view s, size_t max_params, Params& out, std::string& error) {
  SkipWs(s);
  while (!s.empty()) {
    if (!TakeSeparator(s, ';')) {
      error = "bad parameter";
      return false;
    }
    const std::string_view name = TakeToken(s);
    if (name.empty()) {
      error = "empty parameter";
      return false;
    }
    if (out.size() >= max_params) {
      error = "too many parameters";
      return false;
    }
    Param param;
    param.name = std::string(name);
    if (TakeSeparator(s, '=')) {
      param.has_value = true;
      if (!s.empty() && s.front() == '"') {
        auto quoted = text::TakeQuotedString(s);
        if (!quoted) {
          error = "unterminated quoted parameter";
          return false;
        }
        param.value = std::move(*quoted);
        param.quoted = true;
      } else {
        size_t n = 0;
        while (n < s.size() && IsGenValueChar(s[n])) ++n;
        if (n == 0) {
          error = "empty parameter value";
          return false;
        }
        param.value = std::string(s.substr(0, n));
        s.remove_prefix(n);
      }
    }
    out.push_back(std::move(param));
    SkipWs(s);
  }
  return true;
}

HeaderResult<std::vector<Via>> ParseViaList(std::string_view value, const ParseLimits& limits) {
  std::vector<Via> vias;
  std::string error = "empty Via";
  const bool ok = text::SplitList(value, limits.max_values_per_header, [&](std::string_view item) {
    auto via = ParseOneVia(item, limits, error);
    if (!via) return false;
    vias.push_back(std::move(*via));
    return true;
  });
  if (!ok) return Error<std::vector<Via>>(error);
  return {std::move(vias), {}};
}

HeaderResult<NameAddr> ParseNameAddr(std::string_view value, const ParseLimits& limits) {
  using R = NameAddr;
  std::string_view s = text::TrimWs(value);
  NameAddr out;
  std::string_view uri_text;
  if (!s.empty() && s.front() == '"') {
    auto display = text::TakeQuotedString(s);
    if (!display) return Error<R>("unterminated quoted display name");
    out.display_name = std::move(*display);
    SkipWs(s);
    if (s.empty() || s.front() != '<') return Error<R>("missing '<' after display name");
  }
  const size_t lt = s.find('<');
  if (lt != std::string_view::npos) {
    if (!ParseDisplayTokens(s.substr(0, lt), out.display_name)) {
      return Error<R>("bad display name");
    }
    const size_t gt = s.find('>', lt);
    if (gt == std::string_view::npos) return Error<R>("missing '>'");
    uri_text = s.substr(lt + 1, gt - lt - 1);
    s.remove_prefix(gt + 1);
  } else {
    size_t n = 0;
    while (n < s.size() && s[n] != ';' && !text::IsWsp(s[n])) ++n;
    uri_text = s.substr(0, n);
    s.remove_prefix(n);
    // RFC 3261 20: an addr-spec with a comma, question mark or semicolon needs angle brackets.
    if (uri_text.find_first_of(",?") != std::string_view::npos) {
      return Error<R>("URI with '?' or ',' outside angle brackets");
    }
  }
  auto uri = ParseUri(uri_text, limits);
  if (!uri.uri) return Error<R>(uri.error);
  out.uri = std::move(*uri.uri);
  std::string error;
  if (!ParseHeaderParams(s, limits.max_params, out.params, error)) return Error<R>(error);
  if (const Param* tag = FindParam(out.params, "tag")) {
    if (!tag->has_value || tag->value.empty()) return Error<R>("empty tag");
    out.tag = tag->value;
  }
  return {std::move(out), {}};
}

HeaderResult<std::vector<NameAddr>> ParseNameAddrList(std::string_view value,
                                                      const ParseLimits& limits) {
  std::vector<NameAddr> out;
  std::string error = "empty list entry";
  const bool ok = text::SplitList(value, limits.max_values_per_header, [&](std::string_view item) {
    auto entry = ParseNameAddr(item, limits);
    if (!entry.value) {
      error = entry.error;
      return false;
    }
    out.push_back(std::move(*entry.value));
    return true;
  });
  if (!ok) return Error<std::vector<NameAddr>>(error);
  return {std::move(out), {}};
}

HeaderResult<ContactList> ParseContact(std::string_view value, const ParseLimits& limits) {
  ContactList out;
  if (text::TrimWs(value) == "*") {
    out.star = true;
    return {std::move(out), {}};
  }
  auto list = ParseNameAddrList(value, limits);
  if (!list.value) return Error<ContactList>(list.error);
  out.entries = std::move(*list.value);
  return {std::move(out), {}};
}

HeaderResult<CSeq> ParseCSeq(std::string_view value) {
  std::string_view s = text::TrimWs(value);
  size_t n = 0;
  while (n < s.size() && text::IsDigit(s[n])) ++n;
  if (n == 0) return Error<CSeq>("bad CSeq: missing number");
  auto number = text::ParseUint(s.substr(0, n), 0x7FFFFFFF);
  if (!number) return Error<CSeq>("bad CSeq: number out of range");
  s.remove_prefix(n);
  if (s.empty() || !text::IsWsp(s.front())) return Error<CSeq>("bad CSeq: missing method");
  SkipWs(s);
  if (!text::IsToken(s)) return Error<CSeq>("bad CSeq: method");
  return {CSeq{static_cast<uint32_t>(*number), std::string(s)}, {}};
}

HeaderResult<ContentType> ParseContentType(std::string_view value, const ParseLimits& limits) {
  std::string_view s = text::TrimWs(value);
  ContentType out;
  const std::string_view type = TakeToken(s);
  if (type.empty() || !TakeSeparator(s, '/')) return Error<ContentType>("bad Content-Type");
  const std::string_view subtype = TakeToken(s);
  if (subtype.empty()) return Error<ContentType>("bad Content-Type");
  out.type = text::Lower(type);
  out.subtype = text::Lower(subtype);
  std::string error;
  if (!ParseHeaderParams(s, limits.max_params, out.params, error)) {
    return Error<ContentType>("bad Content-Type: " + error);
  }
  return {std::move(out), {}};
}

HeaderResult<SessionExpires> ParseSessionExpires(std::string_view value,
                                                 const ParseLimits& limits) {
  std::string_view s = text::TrimWs(value);
  size_t n = 0;
  while (n < s.size() && text::IsDigit(s[n])) ++n;
  auto seconds = ParseDeltaSeconds(s.substr(0, n));
  if (!seconds) return Error<SessionExpires>("bad Session-Expires: delta-seconds");
  s.remove_prefix(n);
  SessionExpires out;
  out.seconds = *seconds;
  std::string error;
  if (!ParseHeaderParams(s, limits.max_params, out.params, error)) {
    return Error<SessionExpires>("bad Session-Expires: " + error);
  }
  if (const Param* refresher = FindParam(out.params, "refresher")) {
    out.refresher = text::Lower(refresher->value);
    if (out.refresher != "uac" && out.refresher != "uas") {
      return Error<SessionExpires>("bad Session-Expires: refresher");
    }
  }
  return {std::move(out), {}};
}

HeaderResult<std::vector<std::string>> ParseTokenList(std::string_view value,
                                                      const ParseLimits& limits) {
  std::vector<std::string> out;
  if (text::TrimWs(value).empty()) return {std::move(out), {}};
  const bool ok = text::SplitList(value, limits.max_values_per_header, [&](std::string_view item) {
    if (!text::IsToken(item)) return false;
    out.emplace_back(item);
    return true;
  });
  if (!ok) return Error<std::vector<std::string>>("bad token list");
  return {std::move(out), {}};
}

std::optional<uint32_t> ParseDeltaSeconds(std::string_view value) {
  auto v = text::ParseUint(text::TrimWs(value), 0xFFFFFFFF);
  if (!v) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

bool IsValidCallId(std::string_view value) {
  if (value.empty()) return false;
  const size_t at = value.find('@');
  auto is_word = [](std::string_view w) {
    if (w.empty()) return false;
    for (char c : w) {
      if (!text::IsWordChar(c)) return false;
    }
    return true;
  };
  if (at == std::string_view::npos) return is_word(value);
  return is_word(value.substr(0, at)) && is_word(value.substr(at + 1));
}

std::optional<int> ContactQ(const NameAddr& contact) {
  const Param* q = FindParam(contact.params, "q");
  if (q == nullptr || !q->has_value) return std::nullopt;
  const std::string_view v = q->value;
  if (v.empty() || (v[0] != '0' && v[0] != '1')) return std::nullopt;
  int thousandths = (v[0] - '0') * 1000;
  if (v.size() == 1) return thousandths;
  if (v[1] != '.' || v.size() > 5) return std::nullopt;
  int scale = 100;
  for (char c : v.substr(2)) {
    if (!text::IsDigit(c)) return std::nullopt;
    thousandths += (c - '0') * scale;
    scale /= 10;
  }
  if (thousandths > 1000) return std::nullopt;
  return thousandths;
}

std::optional<uint32_t> ContactExpires(const NameAddr& contact) {
  const Param* expires = FindParam(contact.params, "expires");
  if (expires == nullptr || !expires->has_value) return std::nullopt;
  return ParseDeltaSeconds(expires->value);
}

std::string SerializeParams(const Params& params) {
  std::string out;
  for (const Param& p : params) {
    out.push_back(';');
    out += p.name;
    if (!p.has_value) continue;
    out.push_back('=');
    bool plain = !p.quoted && !p.value.empty();
    for (char c : p.value) plain = plain && IsGenValueChar(c);
    out += plain ? p.value : text::Quote(p.value);
  }
  return out;
}

std::string SerializeNameAddr(const NameAddr& value) {
  std::string out;
  if (!value.display_name.empty()) {
    out += text::Quote(value.display_name);
    out.push_back(' ');
  }
  out.push_back('<');
  out += SerializeUri(value.uri);
  out.push_back('>');
  out += SerializeParams(value.params);
  return out;
}

}  // namespace tessera::sip
