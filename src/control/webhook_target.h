// Where a webhook's events go and how they are signed (private to webhooks.cc and its tests).
#pragma once

#include <tessera/base/status.h>

#include <string>

namespace tessera::control {

// Where one URL's events go.
struct ParsedUrl {
  bool tls = false;
  std::string host;         // a name or an IP address (without brackets)
  std::string port;         // "80", "443" or as written
  std::string target;       // path and query, "/" when the URL has none
  std::string host_header;  // host[:port] as written in the URL
};

// http(s)://host[:port][/path][?query]; IPv6 literals in brackets. No user information and no
// fragment. Errors name `where` (the config key) and the URL.
StatusOr<ParsedUrl> ParseUrl(const std::string& url, const std::string& where);
// The file's bytes without trailing newlines: the HMAC key. Errors name the file.
StatusOr<std::string> ReadSecret(const std::string& path, const std::string& where);
// Lower-case hex of HMAC-SHA256(key, body): the X-Tessera-Signature value after "sha256=".
std::string HmacSha256Hex(const std::string& key, const std::string& body);
bool IsIpLiteral(const std::string& host);

}  // namespace tessera::control
