// SIP, SIPS and tel URIs (RFC 3261 19.1, RFC 3966), parsed from text with hard limits, written
// back, and compared as RFC 3261 19.1.4 says. Other schemes parse as opaque absolute URIs so that
// a message carrying one can still be answered (416 for a Request-URI).
#pragma once

#include <tessera/sip/limits.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::sip {

// One ;name[=value] parameter. Names compare case-insensitively; values are stored unescaped.
struct Param {
  std::string name;
  std::string value;
  bool has_value = false;
  bool quoted = false;  // header parameters only: the value was a quoted-string

  bool operator==(const Param&) const = default;
};
using Params = std::vector<Param>;

// The first parameter called `name` (case-insensitive), or nullptr.
const Param* FindParam(const Params& params, std::string_view name);

enum class UriScheme { kSip, kSips, kTel, kOther };

struct SipUri {
  UriScheme scheme = UriScheme::kSip;
  std::string scheme_name = "sip";  // lower case, as written for kOther
  std::string user;                 // unescaped; the number for tel
  bool had_password = false;        // a user:password was present; the password is dropped
  std::string host;                 // lower case; IPv6 references keep their brackets
  std::optional<uint16_t> port;
  Params params;
  std::vector<std::pair<std::string, std::string>> headers;  // ?name=value, unescaped
  std::string opaque;                                        // kOther: everything after "scheme:"

  bool is_sip() const { return scheme == UriScheme::kSip || scheme == UriScheme::kSips; }
};

struct UriParseResult {
  std::optional<SipUri> uri;
  std::string error;  // short reason when !uri
};

// Parses an absolute URI. `text` holds nothing else (no angle brackets, no whitespace).
UriParseResult ParseUri(std::string_view text, const ParseLimits& limits);

// Writes the URI with the escaping the grammar needs; ParseUri(SerializeUri(u)) equals u.
std::string SerializeUri(const SipUri& uri);

// RFC 3261 19.1.4 comparison: user and password case-sensitive after unescaping, host
// case-insensitive, a port present on one side only differs, the transport/user/ttl/method/maddr
// parameters must match when either side has them, other parameters only when both have them,
// and headers must match exactly.
bool UriEquals(const SipUri& a, const SipUri& b);

}  // namespace tessera::sip
