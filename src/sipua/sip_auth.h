// Who may call in: the authorisation of a new INVITE (a trunk network, else digest), decided
// without I/O, and how the SIP statistics count it. A 401 that every digest caller gets before
// its first good INVITE is a challenge, not a refusal: `sipstats` counts the two apart. Private
// to the SIP service's files.
#pragma once

#include <tessera/sip/digest.h>
#include <tessera/sipua/config.h>
#include <tessera/sipua/sip_service.h>

#include <map>
#include <string>
#include <utility>

namespace tessera::sipua {

// Stored HA1 per user name: (MD5, SHA-256), each empty where that algorithm is not available.
using Ha1Table = std::map<std::string, std::pair<std::string, std::string>>;

struct AuthDecision {
  enum class Kind {
    kAccepted,    // from a trunk network, or credentials that verify
    kChallenged,  // 401 with fresh nonces: no credentials yet, or a stale nonce
    kRefused,     // 403: no users, unknown user, bad credentials, wrong password, other realm
  };
  Kind kind = Kind::kRefused;
  bool stale = false;  // kChallenged: the nonce expired (stale=true: retry without asking)
  std::string why;     // kRefused: for the log ("wrong password for alice")
};

// The decision for an INVITE from `source_host` whose Authorization header value is
// `authorization` (null when it has none), with the configured trunks, users and digest
// algorithms, the service's digest server and its users' HA1.
AuthDecision DecideInviteAuth(const SipConfig& config, const std::string& source_host,
                              const std::string* authorization, const sip::DigestServer& digest,
                              const Ha1Table& ha1);

// Counts a decision: kChallenged in auth_challenges, kRefused in rejected_auth.
void CountAuth(const AuthDecision& decision, SipStats& stats);

}  // namespace tessera::sipua
