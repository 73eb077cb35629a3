// Typed values of the SIP header fields a user agent needs (RFC 3261 20, RFC 3581, RFC 4028),
// each parsed from one field value (folding already joined) with hard limits. The parsers
// return nullopt and a short reason for anything the grammar does not allow.
#pragma once

#include <tessera/sip/limits.h>
#include <tessera/sip/uri.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::sip {

// Via: sent-protocol sent-by *(;via-params).
struct Via {
  std::string protocol = "SIP/2.0";  // protocol-name/version, whitespace removed
  std::string transport;             // upper case: UDP, TCP, TLS, SCTP, WS ...
  std::string host;                  // lower case; IPv6 keeps its brackets
  std::optional<uint16_t> port;
  Params params;  // all of them, in order
  // Convenience copies of the parameters RFC 3261 18.2 and RFC 3581 use.
  std::string branch;
  std::optional<std::string> received;
  bool rport = false;  // rport present (with or without a value)
  std::optional<uint16_t> rport_value;
  std::optional<std::string> maddr;
  std::optional<uint8_t> ttl;
};

// name-addr or addr-spec with header parameters: From, To, Contact, Route, Record-Route.
struct NameAddr {
  std::string display_name;  // unquoted, quoted-pairs resolved; UTF-8 as received
  SipUri uri;
  Params params;    // header parameters (after the URI), not URI parameters
  std::string tag;  // the tag parameter, empty when absent
};

struct CSeq {
  uint32_t number = 0;  // < 2^31 (RFC 3261 8.1.1.5)
  std::string method;
};

struct ContentType {
  std::string type;     // lower case
  std::string subtype;  // lower case
  Params params;
  std::string MediaType() const { return type + "/" + subtype; }
};

// Contact: "*" or a list of entries; expires and q live in each entry's params.
struct ContactList {
  bool star = false;
  std::vector<NameAddr> entries;
};

// Session-Expires (RFC 4028): delta-seconds and refresher.
struct SessionExpires {
  uint32_t seconds = 0;
  std::string refresher;  // "uac", "uas" or empty
  Params params;
};

template <typename T>
struct HeaderResult {
  std::optional<T> value;
  std::string error;  // short reason when !value
};

HeaderResult<std::vector<Via>> ParseViaList(std::string_view value, const ParseLimits& limits);
// One name-addr or addr-spec with its header parameters (From, To, one Contact or Route).
HeaderResult<NameAddr> ParseNameAddr(std::string_view value, const ParseLimits& limits);
// Comma-separated name-addrs (Route, Record-Route); Contact adds "*".
HeaderResult<std::vector<NameAddr>> ParseNameAddrList(std::string_view value,
                                                      const ParseLimits& limits);
HeaderResult<ContactList> ParseContact(std::string_view value, const ParseLimits& limits);
HeaderResult<CSeq> ParseCSeq(std::string_view value);
HeaderResult<ContentType> ParseContentType(std::string_view value, const ParseLimits& limits);
HeaderResult<SessionExpires> ParseSessionExpires(std::string_view value, const ParseLimits& limits);
// Comma-separated tokens (Supported, Require, Allow, Unsupported...). Empty value: empty list.
HeaderResult<std::vector<std::string>> ParseTokenList(std::string_view value,
                                                      const ParseLimits& limits);
// delta-seconds (Expires, Min-SE, the expires parameter); nullopt above 2^32-1.
std::optional<uint32_t> ParseDeltaSeconds(std::string_view value);
// Call-ID = word ["@" word].
bool IsValidCallId(std::string_view value);
// Header parameters: *(SEMI generic-param), starting at a ';' (or empty).
bool ParseHeaderParams(std::string_view s, size_t max_params, Params& out, std::string& error);
// The q parameter of a Contact entry in thousandths (0..1000), nullopt if absent or malformed.
std::optional<int> ContactQ(const NameAddr& contact);
// The expires parameter of a Contact entry in seconds; nullopt if absent or malformed (RFC 3261
// 10.3 then says to use the Expires field or 3600).
std::optional<uint32_t> ContactExpires(const NameAddr& contact);

// Writers for values Tessera builds.
std::string SerializeNameAddr(const NameAddr& value);
std::string SerializeParams(const Params& params);

}  // namespace tessera::sip
