#include <gtest/gtest.h>
#include <tessera/control/jwt.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/base64url.h"
#include "control/jwt_crypto.h"

namespace tessera::control {
namespace {

using Json = nlohmann::json;

constexpr int64_t kNow = 1'767'225'600;  // 2026-01-01T00:00:00Z

uint64_t Failures(const char* reason) {
  return GlobalMetrics()
      .GetCounter("tessera_api_auth_failures_total", {{"reason", reason}})
      .Value();
}

// A token with any header, signed with HMAC-SHA256 over `secret`, whatever the header says.
std::string HmacToken(const Json& header, const Json& claims, const std::string& secret) {
  const std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  return input + "." + Base64UrlEncode(HmacSha256(secret, input));
}

// The segment `index` (0 header, 1 claims, 2 signature) of a compact JWS.
std::string Segment(const std::string& token, int index) {
  size_t begin = 0;
  for (int i = 0; i < index; ++i) begin = token.find('.', begin) + 1;
  const size_t end = token.find('.', begin);
  return token.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

std::string WithSegment(const std::string& token, int index, const std::string& replacement) {
  std::string parts[3] = {Segment(token, 0), Segment(token, 1), Segment(token, 2)};
  parts[index] = replacement;
  return parts[0] + "." + parts[1] + "." + parts[2];
}

class JwtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto hs = GenerateJwtKey(JwtKey::Alg::kHs256, "hs1");
    ASSERT_TRUE(hs.ok()) << hs.status().ToString();
    hs_ = *hs;
    auto es = GenerateJwtKey(JwtKey::Alg::kEs256, "es1");
    ASSERT_TRUE(es.ok()) << es.status().ToString();
    es_ = *es;
    verifier_ = std::make_unique<JwtVerifier>(std::vector<JwtKey>{hs_, es_}, DefaultOptions());
  }

  static JwtVerifier::Options DefaultOptions() {
    JwtVerifier::Options o;
    o.issuer = "tessera";
    o.audience = "tessera";
    o.max_lifetime_s = 300;
    o.leeway_s = 30;
    return o;
  }

  static Json Claims() {
    return {{"iss", "tessera"},  {"aud", "tessera"},   {"iat", kNow},
            {"exp", kNow + 300}, {"role", "operator"}, {"sub", "alice"}};
  }

  static std::string Sign(const JwtKey& key, const Json& claims) {
    auto token = SignJwt(key, claims);
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    return token.ok() ? *token : std::string();
  }

  StatusOr<Principal> Verify(const std::string& token) {
    return verifier_->Authenticate("Bearer " + token, kNow);
  }

  void ExpectRefused(const std::string& token, const std::string& reason) {
    auto principal = Verify(token);
    ASSERT_FALSE(principal.ok()) << "accepted: " << token;
    EXPECT_EQ(principal.status().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(principal.status().message(), reason);
  }

  JwtKey hs_;
  JwtKey es_;
  std::unique_ptr<JwtVerifier> verifier_;
};

TEST_F(JwtTest, Hs256RoundTrip) {
  auto principal = Verify(Sign(hs_, Claims()));
  ASSERT_TRUE(principal.ok()) << principal.status().ToString();
  EXPECT_EQ(principal->role, Role::kOperator);
  EXPECT_EQ(principal->subject, "alice");
  EXPECT_EQ(principal->kid, "hs1");
  EXPECT_EQ(principal->expires_at, kNow + 300);
  EXPECT_TRUE(principal->room.empty());
}

TEST_F(JwtTest, Es256RoundTripWithJoseSignature) {
  const std::string token = Sign(es_, Claims());
  const Json header = Json::parse(*Base64UrlDecode(Segment(token, 0)));
  EXPECT_EQ(header.dump(), R"({"alg":"ES256","kid":"es1","typ":"JWT"})");
  EXPECT_EQ(Base64UrlDecode(Segment(token, 2))->size(), 64u);  // R || S, not DER
  auto principal = Verify(token);
  ASSERT_TRUE(principal.ok()) << principal.status().ToString();
  EXPECT_EQ(principal->kid, "es1");
  EXPECT_EQ(principal->role, Role::kOperator);
}

TEST_F(JwtTest, SchemeIsCaseInsensitive) {
  const std::string token = Sign(hs_, Claims());
  EXPECT_TRUE(verifier_->Authenticate("bearer " + token, kNow).ok());
  EXPECT_TRUE(verifier_->Authenticate("BEARER  " + token + " ", kNow).ok());
}

TEST_F(JwtTest, RefusesMissingOrMalformedHeader) {
  const std::string token = Sign(hs_, Claims());
  auto reason = [&](const std::string& authorization) {
    auto p = verifier_->Authenticate(authorization, kNow);
    return p.ok() ? std::string("accepted") : p.status().message();
  };
  EXPECT_EQ(reason(""), "missing bearer token");
  EXPECT_EQ(reason("Bearer"), "missing bearer token");
  EXPECT_EQ(reason("Basic " + token), "authorization scheme is not Bearer");
  EXPECT_EQ(reason(token), "authorization scheme is not Bearer");
  EXPECT_EQ(reason("Bearer a.b"), "token is not three base64url segments");
  EXPECT_EQ(reason("Bearer " + token + ".x"), "token is not three base64url segments");
  EXPECT_EQ(reason("Bearer " + WithSegment(token, 0, "e30")), "token header has no alg");
  EXPECT_EQ(reason("Bearer " + WithSegment(token, 0, "!!")), "token header is not base64url JSON");
  EXPECT_EQ(reason("Bearer " + std::string(kMaxJwtBytes + 1, 'a')), "token longer than 8 KiB");
}

TEST_F(JwtTest, RefusesAlgNoneWithEmptySignature) {
  const std::string input = Base64UrlEncode(Json({{"alg", "none"}, {"typ", "JWT"}}).dump()) + "." +
                            Base64UrlEncode(Claims().dump());
  ExpectRefused(input + ".", "unsigned tokens (alg none) are never accepted");
  const std::string with_kid = Base64UrlEncode(Json({{"alg", "none"}, {"kid", "hs1"}}).dump()) +
                               "." + Base64UrlEncode(Claims().dump()) + ".";
  ExpectRefused(with_kid, "unsigned tokens (alg none) are never accepted");
}

TEST_F(JwtTest, RefusesAlgorithmsOtherThanHs256AndEs256) {
  for (const char* alg : {"None", "HS384", "HS512", "RS256", "PS256", "ES384", "EdDSA", "hs256"}) {
    ExpectRefused(HmacToken({{"alg", alg}, {"kid", "hs1"}}, Claims(), hs_.secret),
                  "algorithm not allowed (HS256 and ES256 only)");
  }
}

// Algorithm confusion: a verifier that let the token pick the algorithm would take the ES256 key's
// public PEM, which everyone may know, as an HMAC secret.
TEST_F(JwtTest, RefusesHs256TokenSignedWithEs256PublicKeyPem) {
  auto pem = WritePublicKeyPem(es_.public_key.get());
  ASSERT_TRUE(pem.ok());
  const std::string forged =
      HmacToken({{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "es1"}}, Claims(), *pem);
  ExpectRefused(forged, "algorithm does not match the key");

  // The same with the ES256 key alone, and no kid: the one key is still ES256.
  verifier_->SetKeys({es_});
  ExpectRefused(HmacToken({{"alg", "HS256"}, {"typ", "JWT"}}, Claims(), *pem),
                "algorithm does not match the key");
}

TEST_F(JwtTest, RefusesTamperedPayload) {
  Json admin = Claims();
  admin["role"] = "admin";
  for (const JwtKey* key : {&hs_, &es_}) {
    const std::string token = Sign(*key, Claims());
    ExpectRefused(WithSegment(token, 1, Base64UrlEncode(admin.dump())), "bad signature");
  }
}

TEST_F(JwtTest, RefusesTamperedOrTruncatedSignature) {
  for (const JwtKey* key : {&hs_, &es_}) {
    const std::string token = Sign(*key, Claims());
    std::string signature = *Base64UrlDecode(Segment(token, 2));
    signature[0] = static_cast<char>(signature[0] ^ 1);
    ExpectRefused(WithSegment(token, 2, Base64UrlEncode(signature)), "bad signature");
    signature.pop_back();
    ExpectRefused(WithSegment(token, 2, Base64UrlEncode(signature)), "bad signature");
    ExpectRefused(WithSegment(token, 2, ""), "bad signature");
  }
}

TEST_F(JwtTest, RefusesExpiredTokenBeyondLeeway) {
  Json claims = Claims();
  claims["iat"] = kNow - 300;
  claims["exp"] = kNow - 31;
  ExpectRefused(Sign(hs_, claims), "token expired");
  claims["exp"] = kNow - 29;  // within the 30 s leeway
  EXPECT_TRUE(Verify(Sign(hs_, claims)).ok());
}

TEST_F(JwtTest, RefusesTokenNotYetValid) {
  Json claims = Claims();
  claims["nbf"] = kNow + 31;
  ExpectRefused(Sign(hs_, claims), "token not yet valid");
  claims["nbf"] = kNow + 30;
  EXPECT_TRUE(Verify(Sign(hs_, claims)).ok());

  Json future = Claims();
  future["iat"] = kNow + 60;
  future["exp"] = kNow + 300;
  ExpectRefused(Sign(es_, future), "token issued in the future");
}

TEST_F(JwtTest, RefusesLifetimeAboveMaximum) {
  Json claims = Claims();
  claims["exp"] = kNow + 600;
  ExpectRefused(Sign(hs_, claims), "token lifetime above 300 s");
}

TEST_F(JwtTest, RefusesMissingOrNonNumericTimes) {
  Json claims = Claims();
  claims.erase("exp");
  ExpectRefused(Sign(hs_, claims), "exp claim missing or not a number");
  claims["exp"] = "1767225900";
  ExpectRefused(Sign(hs_, claims), "exp claim missing or not a number");
  claims = Claims();
  claims.erase("iat");
  ExpectRefused(Sign(hs_, claims), "iat claim missing or not a number");
}

TEST_F(JwtTest, RefusesWrongIssuer) {
  Json claims = Claims();
  claims["iss"] = "someone-else";
  ExpectRefused(Sign(hs_, claims), "wrong issuer");
  claims.erase("iss");
  ExpectRefused(Sign(hs_, claims), "wrong issuer");
}

TEST_F(JwtTest, ChecksAudienceStringOrArray) {
  Json claims = Claims();
  claims["aud"] = "other";
  ExpectRefused(Sign(hs_, claims), "wrong audience");
  claims["aud"] = Json::array({"other", "tessera"});
  EXPECT_TRUE(Verify(Sign(hs_, claims)).ok());
  claims["aud"] = Json::array({"other"});
  ExpectRefused(Sign(hs_, claims), "wrong audience");
  claims.erase("aud");
  ExpectRefused(Sign(hs_, claims), "wrong audience");
}

TEST_F(JwtTest, IssuerAndAudienceUncheckedWhenNotConfigured) {
  JwtVerifier::Options options = DefaultOptions();
  options.issuer.clear();
  options.audience.clear();
  JwtVerifier lax({hs_}, options);
  Json claims = Claims();
  claims.erase("iss");
  claims["aud"] = "other";
  EXPECT_TRUE(lax.Authenticate("Bearer " + Sign(hs_, claims), kNow).ok());
}

TEST_F(JwtTest, RefusesUnknownKid) {
  auto other = GenerateJwtKey(JwtKey::Alg::kHs256, "stranger");
  ASSERT_TRUE(other.ok());
  ExpectRefused(Sign(*other, Claims()), "unknown key id");
}

TEST_F(JwtTest, KidMayBeOmittedOnlyWithOneKey) {
  const Json no_kid = {{"alg", "HS256"}, {"typ", "JWT"}};
  ExpectRefused(HmacToken(no_kid, Claims(), hs_.secret),
                "token has no kid and more than one key is loaded");
  verifier_->SetKeys({hs_});
  EXPECT_TRUE(Verify(HmacToken(no_kid, Claims(), hs_.secret)).ok());
}

TEST_F(JwtTest, RefusesMissingOrUnknownRole) {
  Json claims = Claims();
  claims.erase("role");
  ExpectRefused(Sign(hs_, claims), "missing role");
  claims["role"] = "root";
  ExpectRefused(Sign(hs_, claims), "unknown role");
  claims["role"] = "Admin";
  ExpectRefused(Sign(hs_, claims), "unknown role");
}

TEST_F(JwtTest, RoomClaimScopesThePrincipal) {
  Json claims = Claims();
  claims["room"] = "main";
  auto principal = Verify(Sign(es_, claims));
  ASSERT_TRUE(principal.ok()) << principal.status().ToString();
  EXPECT_EQ(principal->room, "main");
  EXPECT_TRUE(principal->MayAccessRoom("main"));
  EXPECT_FALSE(principal->MayAccessRoom("other"));

  claims["room"] = "";  // would read as "every room"
  ExpectRefused(Sign(hs_, claims), "room claim is not a non-empty string");
  claims["room"] = 7;
  ExpectRefused(Sign(hs_, claims), "room claim is not a non-empty string");
}

TEST_F(JwtTest, EachRoleNameMapsBack) {
  for (Role role : {Role::kAdmin, Role::kOperator, Role::kViewer, Role::kParticipant}) {
    Json claims = Claims();
    claims["role"] = RoleName(role);
    auto principal = Verify(Sign(hs_, claims));
    ASSERT_TRUE(principal.ok()) << RoleName(role);
    EXPECT_EQ(principal->role, role);
  }
  EXPECT_FALSE(RoleFromName(""));
}

TEST_F(JwtTest, CountsRefusalsByReason) {
  const uint64_t expired = Failures("expired");
  const uint64_t bad_signature = Failures("bad_signature");
  const uint64_t missing = Failures("missing");
  Json claims = Claims();
  claims["iat"] = kNow - 1000;
  claims["exp"] = kNow - 900;
  ExpectRefused(Sign(hs_, claims), "token expired");
  const std::string token = Sign(hs_, Claims());
  ExpectRefused(WithSegment(token, 2, Segment(Sign(es_, Claims()), 2)), "bad signature");
  EXPECT_FALSE(verifier_->Authenticate("", kNow).ok());
  EXPECT_EQ(Failures("expired"), expired + 1);
  EXPECT_EQ(Failures("bad_signature"), bad_signature + 1);
  EXPECT_EQ(Failures("missing"), missing + 1);
}

TEST_F(JwtTest, SignRefusesKeysWithoutPrivatePartAndNonObjectClaims) {
  JwtKey public_only = es_;
  public_only.private_key.reset();
  EXPECT_EQ(SignJwt(public_only, Claims()).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(SignJwt(hs_, Json::array()).status().code(), StatusCode::kInvalidArgument);
  // A verifier needs no private key.
  verifier_->SetKeys({public_only});
  EXPECT_TRUE(Verify(Sign(es_, Claims())).ok());
}

class JwtRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tessera-jwt-rotation-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(JwtRotationTest, TokensOfEitherKeyVerifyUntilTheOldKeyIsRemoved) {
  const std::string path = dir_ + "/keys.json";
  ASSERT_TRUE(CreateKeyFile(path, JwtKey::Alg::kHs256, "old").ok());
  ASSERT_TRUE(CreateKeyFile(path, JwtKey::Alg::kEs256, "new").ok());
  auto keys = LoadJwtKeys(path);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 2u);
  const JwtKey old_key = (*keys)[0];
  const JwtKey new_key = (*keys)[1];

  JwtVerifier::Options options;
  options.issuer = "tessera";
  options.audience = "tessera";
  JwtVerifier verifier(*keys, options);
  const Json claims = {{"iss", "tessera"},
                       {"aud", "tessera"},
                       {"iat", kNow},
                       {"exp", kNow + 60},
                       {"role", "viewer"}};
  auto old_token = SignJwt(old_key, claims);
  auto new_token = SignJwt(new_key, claims);
  ASSERT_TRUE(old_token.ok() && new_token.ok());
  EXPECT_TRUE(verifier.Authenticate("Bearer " + *old_token, kNow).ok());
  EXPECT_TRUE(verifier.Authenticate("Bearer " + *new_token, kNow).ok());

  verifier.SetKeys({new_key});
  EXPECT_EQ(verifier.key_count(), 1u);
  auto refused = verifier.Authenticate("Bearer " + *old_token, kNow);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), "unknown key id");
  EXPECT_TRUE(verifier.Authenticate("Bearer " + *new_token, kNow).ok());
}

}  // namespace
}  // namespace tessera::control
