// Where a webhook's events go and how they are signed (private to webhooks.cc and its tests).
#pragma once

#include <tessera/base/status.h>

#include <string>

namespace tessera::control {

// The file's bytes without trailing newlines: an HMAC key, a bearer token. Errors name the config
// key (e.g. "control.webhooks[0].secret_file") and the file.
StatusOr<std::string> ReadSecret(const std::string& path, const std::string& key);
// Lower-case hex of HMAC-SHA256(key, body): the X-Tessera-Signature value after "sha256=".
std::string HmacSha256Hex(const std::string& key, const std::string& body);

}  // namespace tessera::control
