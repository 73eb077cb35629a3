#include "sipua/sip_auth.h"

#include <tessera/net/networks.h>

#include <algorithm>

namespace tessera::sipua {
namespace {

AuthDecision Accepted() {
  AuthDecision d;
  d.kind = AuthDecision::Kind::kAccepted;
  return d;
}

AuthDecision Refused(std::string why) {
  AuthDecision d;
  d.kind = AuthDecision::Kind::kRefused;
  d.why = std::move(why);
  return d;
}

AuthDecision Challenged(bool stale) {
  AuthDecision d;
  d.kind = AuthDecision::Kind::kChallenged;
  d.stale = stale;
  return d;
}

}  // namespace

AuthDecision DecideInviteAuth(const SipConfig& config, const std::string& source_host,
                              const std::string* authorization, const sip::DigestServer& digest,
                              const Ha1Table& ha1) {
  for (const SipTrunkConfig& t : config.trunks) {
    if (net::AddressInNetworks(source_host, t.networks)) return Accepted();
  }
  if (config.users.empty()) return Refused("not in a trunk network and no users configured");
  if (!authorization) return Challenged(false);
  std::string error;
  auto creds = sip::ParseDigestCredentials(*authorization, &error);
  if (!creds) return Refused("bad credentials: " + error);
  auto user = ha1.find(creds->username);
  if (user == ha1.end()) return Refused("unknown user " + creds->username);
  const std::string algorithm(sip::DigestAlgorithmName(creds->algorithm));
  const auto& offered = config.digest_algorithms;
  const std::string& stored =
      creds->algorithm == sip::DigestAlgorithm::kMd5 ? user->second.first : user->second.second;
  if (stored.empty() || std::find(offered.begin(), offered.end(), algorithm) == offered.end()) {
    return Refused(algorithm + " credentials for " + creds->username + " are not accepted");
  }
  switch (digest.Verify(*creds, "INVITE", stored)) {
    case sip::DigestServer::Verdict::kOk:
      return Accepted();
    case sip::DigestServer::Verdict::kStale:
      // The right password on an expired nonce: a new challenge, which the phone answers
      // without asking its user (RFC 7616 3.3, stale=true).
      return Challenged(true);
    case sip::DigestServer::Verdict::kBadNonce:
      return Refused("wrong credentials for " + creds->username + " (a nonce we did not issue)");
    case sip::DigestServer::Verdict::kBadRealm:
      return Refused("wrong credentials for " + creds->username + " (another realm)");
    case sip::DigestServer::Verdict::kBadQop:
      return Refused("wrong credentials for " + creds->username + " (qop other than auth)");
    case sip::DigestServer::Verdict::kBadResponse:
      return Refused("wrong credentials for " + creds->username +
                     " (the digest response does not match: wrong password)");
  }
  return Refused("wrong credentials for " + creds->username);
}

void CountAuth(const AuthDecision& decision, SipStats& stats) {
  switch (decision.kind) {
    case AuthDecision::Kind::kAccepted:
      break;
    case AuthDecision::Kind::kChallenged:
      ++stats.auth_challenges;
      break;
    case AuthDecision::Kind::kRefused:
      ++stats.rejected_auth;
      break;
  }
}

}  // namespace tessera::sipua
