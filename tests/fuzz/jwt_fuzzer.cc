// JwtVerifier::Authenticate on an arbitrary Authorization header, with one HS256 key (a fixed
// secret, so the seeds in corpus/jwt/ verify and the claims checks get fuzzed too; jwt_seeds.py
// writes them) and one ES256 key made at start-up. Besides not crashing: answers are the same
// twice, only the HS256 key can have signed an accepted token (nobody holds the ES256 key), an
// accepted token is refused by a verifier holding another secret under the same kid, and what it
// yields obeys the claims rules. Base64UrlDecode is checked to accept one spelling per value.
#include <tessera/control/jwt.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "control/base64url.h"

namespace {

using tessera::control::JwtKey;
using tessera::control::JwtVerifier;

constexpr int64_t kNow = 1'767'225'600;  // 2026-01-01T00:00:00Z; jwt_seeds.py uses the same
constexpr char kSecret[] = "tessera-jwt-fuzzer-fixed-secret!";  // 32 bytes, as jwt_seeds.py

JwtVerifier::Options MakeOptions() {
  JwtVerifier::Options o;
  o.issuer = "tessera";
  o.audience = "tessera";
  o.max_lifetime_s = 300;
  o.leeway_s = 30;
  return o;
}

JwtKey HsKey(const std::string& secret) {
  JwtKey key;
  key.kid = "fuzz-hs";
  key.alg = JwtKey::Alg::kHs256;
  key.secret = secret;
  return key;
}

std::vector<JwtKey> Keys() {
  auto es = tessera::control::GenerateJwtKey(JwtKey::Alg::kEs256, "fuzz-es");
  if (!es.ok()) abort();
  return {HsKey(kSecret), *es};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static JwtVerifier verifier(Keys(), MakeOptions());
  static JwtVerifier other_secret({HsKey(std::string(32, 'x'))}, MakeOptions());

  const std::string header(reinterpret_cast<const char*>(data), size);
  auto first = verifier.Authenticate(header, kNow);
  auto second = verifier.Authenticate(header, kNow);
  if (first.ok() != second.ok()) abort();
  if (!first.ok()) {
    if (first.status().code() != tessera::StatusCode::kUnauthenticated) abort();
    if (first.status().message() != second.status().message()) abort();
    if (first.status().message().empty()) abort();
  } else {
    const auto& p = *first;
    if (p.kid != "fuzz-hs") abort();
    if (other_secret.Authenticate(header, kNow).ok()) abort();
    if (p.expires_at + 30 <= kNow) abort();
    if (!tessera::control::RoleFromName(tessera::control::RoleName(p.role))) abort();
  }

  const std::string_view text(header);
  if (auto bytes = tessera::control::Base64UrlDecode(text)) {
    if (tessera::control::Base64UrlEncode(*bytes) != text) abort();
  }
  return 0;
}
