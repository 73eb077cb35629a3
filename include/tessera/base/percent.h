// RFC 3986 percent-encoding: the SIP URI parser's decoding, the HTTP API's path segments both ways.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tessera {

// "%41b" -> "Ab"; nullopt on a broken escape ("%4", "%zz"). Runs on: any thread (pure).
std::optional<std::string> PercentDecode(std::string_view s);

// One path segment for a URL (a Location header): everything but RFC 3986 unreserved characters
// (letters, digits, "-._~") escaped as %XX. Runs on: any thread (pure).
std::string PercentEncodeSegment(std::string_view s);

// The value of `key` in a URL's query ("a=1&node=n2" -> "n2" for "node"), percent-decoded; "" when
// absent or broken. The first occurrence wins. Runs on: any thread (pure).
std::string QueryValue(std::string_view query, std::string_view key);

}  // namespace tessera
