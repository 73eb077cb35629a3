// Who a request comes from, once its bearer token is verified (jwt.h), and what that may do.
#pragma once

#include <tessera/base/status.h>

#include <cstdint>
#include <optional>
#include <string>

namespace tessera::control {

// Roles, most to least privileged. admin: everything; operator: rooms and participants (within
// its room scope); viewer: read-only; participant: only what the WebRTC join uses (its room).
enum class Role : uint8_t { kAdmin, kOperator, kViewer, kParticipant };

const char* RoleName(Role role);
std::optional<Role> RoleFromName(const std::string& name);

struct Principal {
  std::string subject;  // "sub"; may be empty
  Role role = Role::kViewer;
  std::string room;        // "room" claim: the only room it may touch; empty: every room
  std::string kid;         // the key that signed it (logged, never the token)
  int64_t expires_at = 0;  // "exp", seconds since the epoch

  bool MayAccessRoom(const std::string& r) const { return room.empty() || room == r; }
};

// Why a token was refused: kUnauthenticated answers 401 (RFC 6750 invalid_token), never 403.
// Runs on: the control thread. Implementations: JwtVerifier (jwt.h), fakes in tests.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // `authorization` is the Authorization header's value ("Bearer <token>"), maybe empty.
  // Errors: UnauthenticatedError with a short reason for the log and the
  // WWW-Authenticate error_description ("token expired", "bad signature", ...).
  virtual StatusOr<Principal> Authenticate(const std::string& authorization, int64_t now_s) = 0;
};

}  // namespace tessera::control
