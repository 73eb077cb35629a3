// Minting and verifying JWTs (jwt.h). The verifier is written for hostile input: sizes are capped
// before decoding, every JSON value's type is checked before use, nothing throws.
#include <tessera/control/jwt.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "control/base64url.h"
#include "control/jwt_crypto.h"

namespace tessera::control {
namespace {

using Json = nlohmann::json;

// NumericDates are clamped to this: far beyond any real date, far from int64 overflow when the
// leeway or a lifetime is added.
constexpr int64_t kMaxNumericDate = int64_t{1} << 53;
constexpr int64_t kMaxLeewayS = 24 * 3600;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// A JSON number as whole seconds (RFC 7519 NumericDate may have a fraction: it is floored).
std::optional<int64_t> NumericDate(const Json& v) {
  if (v.is_number_unsigned()) {
    return static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), kMaxNumericDate));
  }
  if (v.is_number_integer()) {
    return std::clamp<int64_t>(v.get<int64_t>(), -kMaxNumericDate, kMaxNumericDate);
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d)) return std::nullopt;
    const double limit = static_cast<double>(kMaxNumericDate);
    return static_cast<int64_t>(std::floor(std::clamp(d, -limit, limit)));
  }
  return std::nullopt;
}

// The header or the claims: a base64url segment holding a JSON object.
std::optional<Json> DecodeObject(std::string_view segment) {
  auto text = Base64UrlDecode(segment);
  if (!text) return std::nullopt;
  Json j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

// Control characters in a claim that ends up in logs could forge log lines.
bool HasControlCharacter(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

const std::string* StringMember(const Json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

}  // namespace

StatusOr<std::string> SignJwt(const JwtKey& key, const nlohmann::json& claims) {
  if (!claims.is_object()) return InvalidArgumentError("JWT claims must be a JSON object");
  if (!key.CanSign()) {
    return FailedPreconditionError("key " + key.kid + " (" + JwtAlgName(key.alg) +
                                   ") cannot sign: it has no private key");
  }
  Json header = {{"alg", JwtAlgName(key.alg)}, {"typ", "JWT"}};
  if (!key.kid.empty()) header["kid"] = key.kid;
  std::string header_text, claims_text;
  try {
    header_text = header.dump();
    claims_text = claims.dump();
  } catch (const Json::exception& e) {  // invalid UTF-8 in a string
    return InvalidArgumentError(std::string("JWT claims cannot be encoded: ") + e.what());
  }
  std::string signing_input = Base64UrlEncode(header_text) + "." + Base64UrlEncode(claims_text);
  std::string signature;
  switch (key.alg) {
    case JwtKey::Alg::kHs256:
      signature = HmacSha256(key.secret, signing_input);
      break;
    case JwtKey::Alg::kEs256: {
      auto s = Es256Sign(key.private_key.get(), signing_input);
      if (s) signature = std::move(*s);
      break;
    }
  }
  if (signature.empty()) return InternalError("signing with key " + key.kid + " failed");
  return signing_input + "." + Base64UrlEncode(signature);
}

JwtVerifier::JwtVerifier(std::vector<JwtKey> keys, Options options)
    : options_(std::move(options)), keys_(std::make_shared<const KeySet>(std::move(keys))) {
  for (size_t i = 0; i < static_cast<size_t>(Failure::kCount); ++i) {
    failures_[i] = &GlobalMetrics().GetCounter("tessera_api_auth_failures_total",
                                               {{"reason", FailureSlug(static_cast<Failure>(i))}});
  }
}

const char* JwtVerifier::FailureSlug(Failure failure) {
  switch (failure) {
    case Failure::kMissing:
      return "missing";
    case Failure::kMalformed:
      return "malformed";
    case Failure::kAlgNotAllowed:
      return "alg_not_allowed";
    case Failure::kUnknownKid:
      return "unknown_kid";
    case Failure::kAlgMismatch:
      return "alg_mismatch";
    case Failure::kBadSignature:
      return "bad_signature";
    case Failure::kExpired:
      return "expired";
    case Failure::kNotYetValid:
      return "not_yet_valid";
    case Failure::kLifetime:
      return "lifetime";
    case Failure::kIssuer:
      return "issuer";
    case Failure::kAudience:
      return "audience";
    case Failure::kRole:
      return "role";
    case Failure::kCount:
      break;
  }
  return "unknown";
}

void JwtVerifier::SetKeys(std::vector<JwtKey> keys) {
  auto next = std::make_shared<const KeySet>(std::move(keys));
  std::lock_guard<std::mutex> lock(mu_);
  keys_.swap(next);
  // The old set is freed here or by the last request still holding it.
}

size_t JwtVerifier::key_count() const { return Keys()->size(); }

std::shared_ptr<const JwtVerifier::KeySet> JwtVerifier::Keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_;
}

Status JwtVerifier::Refuse(Failure failure, std::string reason) {
  failures_[static_cast<size_t>(failure)]->Add();
  return UnauthenticatedError(std::move(reason));
}

StatusOr<Principal> JwtVerifier::Authenticate(const std::string& authorization, int64_t now_s) {
  // "Bearer" 1*SP token (RFC 6750 2.1); the scheme is case-insensitive (RFC 9110 11.1).
  const std::string_view value = Trim(authorization);
  if (value.empty()) return Refuse(Failure::kMissing, "missing bearer token");
  const size_t space = value.find_first_of(" \t");
  if (space == std::string_view::npos && EqualsIgnoreCase(value, "Bearer")) {
    return Refuse(Failure::kMissing, "missing bearer token");
  }
  if (space == std::string_view::npos || !EqualsIgnoreCase(value.substr(0, space), "Bearer")) {
    return Refuse(Failure::kMalformed, "authorization scheme is not Bearer");
  }
  const std::string_view token = Trim(value.substr(space));
  if (token.empty()) return Refuse(Failure::kMissing, "missing bearer token");
  if (token.size() > kMaxJwtBytes) return Refuse(Failure::kMalformed, "token longer than 8 KiB");

  // Compact JWS: exactly three segments (a JWE's five, or anything else, is refused).
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Refuse(Failure::kMalformed, "token is not three base64url segments");
  }
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view claims_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_b64 = token.substr(dot2 + 1);

  const auto header = DecodeObject(header_b64);
  if (!header) return Refuse(Failure::kMalformed, "token header is not base64url JSON");
  const std::string* alg_name = StringMember(*header, "alg");
  if (alg_name == nullptr) return Refuse(Failure::kMalformed, "token header has no alg");
  // Only the two algorithms Tessera signs with; "none" above all (RFC 8725 3.1, 3.2).
  const auto alg = JwtAlgFromName(*alg_name);
  if (!alg) {
    return Refuse(Failure::kAlgNotAllowed, *alg_name == "none" || *alg_name == "NONE"
                                               ? "unsigned tokens (alg none) are never accepted"
                                               : "algorithm not allowed (HS256 and ES256 only)");
  }
  if (header->contains("crit")) {
    // RFC 7515 4.1.11: extensions we do not understand must not be ignored.
    return Refuse(Failure::kMalformed, "token header has crit extensions");
  }

  const auto keys = Keys();
  const JwtKey* key = nullptr;
  auto kid_it = header->find("kid");
  if (kid_it != header->end()) {
    if (!kid_it->is_string()) return Refuse(Failure::kMalformed, "token kid is not a string");
    const auto& kid = kid_it->get_ref<const std::string&>();
    for (const JwtKey& k : *keys) {
      if (k.kid == kid) key = &k;
    }
    if (key == nullptr) return Refuse(Failure::kUnknownKid, "unknown key id");
  } else if (keys->size() == 1) {
    key = &keys->front();  // a single key needs no name
  } else {
    return Refuse(Failure::kUnknownKid, "token has no kid and more than one key is loaded");
  }
  // The algorithm comes from the key, never from the token: an HS256 token presented for an
  // ES256 key would otherwise be checked with the public key's text as HMAC secret.
  if (*alg != key->alg) return Refuse(Failure::kAlgMismatch, "algorithm does not match the key");

  const auto signature = Base64UrlDecode(signature_b64);
  if (!signature) return Refuse(Failure::kMalformed, "token signature is not base64url");
  const std::string_view signing_input = token.substr(0, dot2);
  bool valid = false;
  switch (key->alg) {
    case JwtKey::Alg::kHs256: {
      // Fail closed: an HMAC that could not be computed is empty, and so is a stripped
      // signature; both are 32 bytes or the token is refused.
      const std::string mac = key->secret.empty() ? "" : HmacSha256(key->secret, signing_input);
      valid = mac.size() == 32 && signature->size() == 32 && ConstantTimeEquals(mac, *signature);
      break;
    }
    case JwtKey::Alg::kEs256:
      valid = Es256Verify(key->public_key.get(), signing_input, *signature);
      break;
  }
  if (!valid) return Refuse(Failure::kBadSignature, "bad signature");

  // From here on the claims are the key holder's: checked for what they say, not for forgery.
  const auto claims = DecodeObject(claims_b64);
  if (!claims) return Refuse(Failure::kMalformed, "token claims are not base64url JSON");
  auto date = [&claims](const char* name) -> std::optional<int64_t> {
    auto it = claims->find(name);
    if (it == claims->end()) return std::nullopt;
    return NumericDate(*it);
  };
  const auto exp = date("exp");
  if (!exp) return Refuse(Failure::kMalformed, "exp claim missing or not a number");
  const auto iat = date("iat");
  if (!iat) return Refuse(Failure::kMalformed, "iat claim missing or not a number");
  const int64_t leeway = std::clamp<int64_t>(options_.leeway_s, 0, kMaxLeewayS);
  now_s = std::clamp<int64_t>(now_s, -kMaxNumericDate, kMaxNumericDate);
  if (now_s >= *exp + leeway) return Refuse(Failure::kExpired, "token expired");
  if (claims->contains("nbf")) {
    const auto nbf = date("nbf");
    if (!nbf) return Refuse(Failure::kMalformed, "nbf claim is not a number");
    if (*nbf > now_s + leeway) return Refuse(Failure::kNotYetValid, "token not yet valid");
  }
  if (*iat > now_s + leeway) return Refuse(Failure::kNotYetValid, "token issued in the future");
  if (*exp < *iat) return Refuse(Failure::kMalformed, "token expires before it was issued");
  if (*exp - *iat > static_cast<int64_t>(options_.max_lifetime_s)) {
    return Refuse(Failure::kLifetime,
                  "token lifetime above " + std::to_string(options_.max_lifetime_s) + " s");
  }

  if (!options_.issuer.empty()) {
    const std::string* iss = StringMember(*claims, "iss");
    if (iss == nullptr || *iss != options_.issuer) return Refuse(Failure::kIssuer, "wrong issuer");
  }
  if (!options_.audience.empty()) {
    bool named = false;
    auto aud = claims->find("aud");
    if (aud != claims->end() && aud->is_string()) {
      named = aud->get_ref<const std::string&>() == options_.audience;
    } else if (aud != claims->end() && aud->is_array()) {
      named = std::any_of(aud->begin(), aud->end(), [this](const Json& a) {
        return a.is_string() && a.get_ref<const std::string&>() == options_.audience;
      });
    }
    if (!named) return Refuse(Failure::kAudience, "wrong audience");
  }

  Principal principal;
  const std::string* role_name = StringMember(*claims, "role");
  if (role_name == nullptr) return Refuse(Failure::kRole, "missing role");
  const auto role = RoleFromName(*role_name);
  if (!role) return Refuse(Failure::kRole, "unknown role");
  principal.role = *role;
  if (claims->contains("room")) {
    const std::string* room = StringMember(*claims, "room");
    // An empty room would read as "every room": a scoped token must name its room.
    if (room == nullptr || room->empty() || HasControlCharacter(*room)) {
      return Refuse(Failure::kMalformed, "room claim is not a non-empty string");
    }
    principal.room = *room;
  }
  if (claims->contains("sub")) {
    const std::string* sub = StringMember(*claims, "sub");
    if (sub == nullptr || HasControlCharacter(*sub)) {
      return Refuse(Failure::kMalformed, "sub claim is not a printable string");
    }
    principal.subject = *sub;
  }
  principal.kid = key->kid;
  principal.expires_at = *exp;
  return principal;
}

}  // namespace tessera::control
