// HTTP Digest authentication for SIP (RFC 3261 22, RFC 2617, RFC 7616, RFC 8760): challenge
// and credentials parsing and writing, response computation with MD5 or SHA-256 (qop=auth, or
// no qop for RFC 2069 peers), and both sides: a stateless server that issues HMAC-signed,
// time-stamped nonces and verifies credentials against a stored HA1, and a client that answers
// a 401/407 for dial-out.
#pragma once

#include <tessera/base/clock.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::sip {

enum class DigestAlgorithm { kMd5, kSha256 };
std::string_view DigestAlgorithmName(DigestAlgorithm algorithm);  // "MD5", "SHA-256"

// WWW-Authenticate / Proxy-Authenticate.
struct DigestChallenge {
  std::string realm;
  std::string nonce;
  std::string opaque;
  std::string domain;
  DigestAlgorithm algorithm = DigestAlgorithm::kMd5;
  bool stale = false;
  std::vector<std::string> qop;  // offered: "auth", "auth-int"
};

// Authorization / Proxy-Authorization.
struct DigestCredentials {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string uri;
  std::string response;  // lower-case hex
  std::string opaque;
  std::string qop;     // "auth" or empty (RFC 2069)
  std::string cnonce;  // with qop
  std::string nc;      // 8 hex digits, with qop
  DigestAlgorithm algorithm = DigestAlgorithm::kMd5;
};

// Parse a header value ("Digest realm=..., nonce=..."). nullopt (and `error`) for another
// scheme, a malformed or repeated parameter, a missing realm/nonce (and, for credentials,
// username/uri/response), an algorithm other than MD5 and SHA-256, or more than 32 parameters.
std::optional<DigestChallenge> ParseDigestChallenge(std::string_view value,
                                                    std::string* error = nullptr);
std::optional<DigestCredentials> ParseDigestCredentials(std::string_view value,
                                                        std::string* error = nullptr);
std::string SerializeDigestChallenge(const DigestChallenge& challenge);
std::string SerializeDigestCredentials(const DigestCredentials& credentials);

// Lower-case hex of H(username ":" realm ":" password): what a server stores instead of the
// password.
std::string ComputeHa1(DigestAlgorithm algorithm, std::string_view username, std::string_view realm,
                       std::string_view password);
// The request-digest for `credentials` (nonce, uri, qop, nc, cnonce) and `method`.
std::string ComputeDigestResponse(DigestAlgorithm algorithm, std::string_view ha1_hex,
                                  std::string_view method, const DigestCredentials& credentials);

// Server side. Nonces are hex(timestamp) + hex(HMAC-SHA256(secret, timestamp ":" realm)), so
// any instance with the secret validates them without state; a nonce older than `lifetime`
// is stale (the client retries with stale=true, without asking the user). Replay within the
// lifetime is not tracked (nc is not remembered). Runs on: any thread; immutable after
// construction (the Clock is thread-safe).
class DigestServer {
 public:
  enum class Verdict { kOk, kStale, kBadNonce, kBadRealm, kBadQop, kBadResponse };

  DigestServer(std::string secret, std::string realm, const Clock& clock,
               std::chrono::seconds lifetime = std::chrono::seconds(300));

  // A fresh challenge offering qop=auth.
  DigestChallenge Challenge(DigestAlgorithm algorithm, bool stale = false) const;
  // Checks the nonce, realm and qop, then compares the response computed from `ha1_hex` (the
  // stored HA1 of credentials.username for credentials.algorithm) in constant time.
  Verdict Verify(const DigestCredentials& credentials, std::string_view method,
                 std::string_view ha1_hex) const;
  const std::string& realm() const { return realm_; }

 private:
  std::string MakeNonce(uint32_t timestamp) const;

  std::string secret_;
  std::string realm_;
  const Clock& clock_;
  std::chrono::seconds lifetime_;
};

// Client side: credentials answering `challenge` for a request (`method`, Request-URI `uri`).
// `cnonce` should be fresh random text; `nc` counts the uses of this nonce (1 for the first).
// nullopt if the challenge offers qop but not "auth".
std::optional<DigestCredentials> AnswerDigestChallenge(
    const DigestChallenge& challenge, std::string_view username, std::string_view password,
    std::string_view method, std::string_view uri, std::string_view cnonce, uint32_t nc);

}  // namespace tessera::sip
