// Bearer tokens of the HTTP API: JWTs (RFC 7519) signed with HS256 or ES256 (RFC 7518 3.2, 3.4),
// checked with OpenSSL and nothing else, and the key file that holds their keys:
//
//   {"keys":[{"kid":"k1","alg":"HS256","secret":"<base64url, >= 32 bytes decoded>"},
//            {"kid":"k2","alg":"ES256","public_key_pem":"-----BEGIN PUBLIC KEY-----...",
//             "private_key_pem":"(optional, only for minting)"}]}
//
// Rotation: add the new key (CreateKeyFile on an existing file, or tessera-token --new-key), reload
// (SIGHUP -> LoadJwtKeys -> JwtVerifier::SetKeys), mint with the new kid, and remove the old key
// once its tokens have expired.
#pragma once

#include <tessera/base/metrics.h>
#include <tessera/base/status.h>
#include <tessera/control/auth.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY; <openssl/*.h> stays out of this header.

namespace tessera::control {

// A token longer than this is refused before any decoding.
inline constexpr size_t kMaxJwtBytes = 8 * 1024;
// RFC 7518 3.2: an HS256 key must be at least as long as the hash.
inline constexpr size_t kMinHs256SecretBytes = 32;

struct JwtKey {
  enum class Alg : uint8_t { kHs256, kEs256 };

  std::string kid;
  Alg alg = Alg::kHs256;
  std::string secret;                        // HS256: the raw key bytes
  std::shared_ptr<evp_pkey_st> public_key;   // ES256: an EC P-256 public key
  std::shared_ptr<evp_pkey_st> private_key;  // ES256: only where tokens are minted; may be null

  // HS256, or ES256 with a private key.
  bool CanSign() const;
};

const char* JwtAlgName(JwtKey::Alg alg);  // "HS256", "ES256"
// Exact JOSE names only ("HS256", "ES256").
std::optional<JwtKey::Alg> JwtAlgFromName(const std::string& name);

// Reads and checks a key file. Errors (InvalidArgument; NotFound when the file is missing) name
// the file, the key's index and kid, and the reason: not JSON, unknown field, bad kid, alg not
// HS256/ES256, a secret that is not base64url or decodes to < 32 bytes, a PEM that does not parse
// or is not EC P-256, a private key that does not match the public one, a duplicate kid, no keys.
// Logs a warning when the file is readable by group or others.
StatusOr<std::vector<JwtKey>> LoadJwtKeys(const std::string& path);
// The same on the file's text; `source` names it in errors.
StatusOr<std::vector<JwtKey>> ParseJwtKeys(const std::string& text, const std::string& source);

// A fresh key: 32 random bytes for HS256, a P-256 key pair for ES256.
StatusOr<JwtKey> GenerateJwtKey(JwtKey::Alg alg, const std::string& kid);

// Creates `path` (mode 0600, O_EXCL) holding one fresh key, or, when it exists and loads, adds one
// (written to a 0600 temporary file in the same folder and renamed over it, so a reader sees the
// old or the new file, never half of one). AlreadyExists when `kid` is taken; InvalidArgument for
// an empty or unprintable kid; the file's own errors as LoadJwtKeys gives them.
Status CreateKeyFile(const std::string& path, JwtKey::Alg alg, const std::string& kid);

// A random key id: 12 base64url characters (72 bits).
std::string NewKid();

// Signs `claims` (a JSON object) into a compact JWS: header {"alg","typ":"JWT","kid"}, ES256 in
// JOSE form (R || S, 64 bytes). Errors: InvalidArgument when claims is not an object or holds
// invalid UTF-8; FailedPrecondition when the key cannot sign (ES256 without its private key).
StatusOr<std::string> SignJwt(const JwtKey& key, const nlohmann::json& claims);

// Verifies "Authorization: Bearer <JWT>" against the loaded keys and turns the claims into a
// Principal. Every refusal is an UnauthenticatedError with a short reason of its own ("token
// expired", "bad signature", ...) and bumps tessera_api_auth_failures_total{reason=<slug>}.
// Runs on: Authenticate on the control thread; SetKeys from any thread (SIGHUP reload). The key
// set is swapped whole under a mutex, so a request sees the old keys or the new, never a mix.
class JwtVerifier : public Authenticator {
 public:
  struct Options {
    std::string issuer;    // "iss" must equal it; empty: not checked
    std::string audience;  // "aud" (string, or array holding it) must name it; empty: not checked
    uint32_t max_lifetime_s = 300;  // exp - iat above this is refused
    int64_t leeway_s = 30;          // clock skew allowed for exp, nbf and an iat in the future
  };

  JwtVerifier(std::vector<JwtKey> keys, Options options);

  StatusOr<Principal> Authenticate(const std::string& authorization, int64_t now_s) override;

  // Replaces every key; tokens of a kid no longer present are refused from the next request on.
  void SetKeys(std::vector<JwtKey> keys);
  size_t key_count() const;

  // The label values of tessera_api_auth_failures_total{reason}.
  enum class Failure : uint8_t {
    kMissing,        // no Authorization header, or no token in it
    kMalformed,      // not "Bearer" + three base64url segments of JSON objects, bad claim types
    kAlgNotAllowed,  // "none", or anything but HS256/ES256
    kUnknownKid,
    kAlgMismatch,  // the token's alg is not its key's
    kBadSignature,
    kExpired,
    kNotYetValid,  // nbf, or iat, in the future
    kLifetime,
    kIssuer,
    kAudience,
    kRole,  // no role, or not one Tessera knows
    kCount
  };
  static const char* FailureSlug(Failure failure);

 private:
  using KeySet = std::vector<JwtKey>;

  Status Refuse(Failure failure, std::string reason);
  std::shared_ptr<const KeySet> Keys() const;

  const Options options_;
  Counter* failures_[static_cast<size_t>(Failure::kCount)] = {};

  mutable std::mutex mu_;
  std::shared_ptr<const KeySet> keys_;  // guarded by mu_; the vector itself is never changed
};

}  // namespace tessera::control
