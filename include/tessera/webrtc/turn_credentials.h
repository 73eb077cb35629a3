// Short-lived TURN credentials (the "TURN REST API" scheme coturn implements as use-auth-secret):
// the username is "<expiry, Unix seconds>:<id>", the password base64(HMAC-SHA1(secret, username)).
// The TURN server, sharing the secret, checks both without asking Tessera; a credential a browser
// leaks stops working at its expiry.
#pragma once

#include <tessera/base/status.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::webrtc {

struct TurnConfig {
  std::vector<std::string> urls;  // turn:host:port?transport=udp, turns:..., stun:...
  std::string secret_file;        // the secret coturn's static-auth-secret also holds
  int ttl_s = 12 * 3600;          // how long a credential is valid: longer than any meeting
};

struct TurnCredential {
  std::string username;
  std::string password;
};

// One TURN server as a browser is told of it.
struct TurnServerCredential {
  std::string url;
  TurnCredential credential;
};

// id: who it is for, as the TURN server logs it (no personal data: a random id will do).
TurnCredential MakeTurnCredential(std::string_view secret, std::string_view id, int64_t now_s,
                                  int ttl_s);

// The secret: the first line of the file, which must not be empty. InvalidArgument names the
// file.
StatusOr<std::string> ReadTurnSecret(const std::string& file);

}  // namespace tessera::webrtc
