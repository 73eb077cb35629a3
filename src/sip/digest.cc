#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <tessera/sip/digest.h>

#include <cstdio>

#include "sip/text.h"

namespace tessera::sip {
namespace {

constexpr size_t kMaxDigestParams = 32;

std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0xF]);
  }
  return out;
}

std::string HashHex(DigestAlgorithm algorithm, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  const EVP_MD* type = algorithm == DigestAlgorithm::kMd5 ? EVP_md5() : EVP_sha256();
  if (EVP_Digest(data.data(), data.size(), md, &size, type, nullptr) != 1) return {};
  return Hex(md, size);
}

bool Fail(std::string* error, const char* reason) {
  if (error != nullptr) *error = reason;
  return false;
}

struct RawParam {
  std::string_view name;
  std::string value;
};

// "Digest" LWS name=value *("," name=value); values token or quoted-string.
bool ParseDigestParams(std::string_view value, std::vector<RawParam>& out, std::string* error) {
  std::string_view s = text::TrimWs(value);
  const std::string_view scheme = text::TakeToken(s);
  if (!text::EqualsIgnoreCase(scheme, "Digest")) return Fail(error, "not a Digest scheme");
  if (s.empty() || !text::IsWsp(s.front())) return Fail(error, "no Digest parameters");
  bool ok = true;
  const bool split = text::SplitList(s, kMaxDigestParams, [&](std::string_view item) {
    const std::string_view name = text::TakeToken(item);
    if (name.empty() || !text::TakeSeparator(item, '=')) return ok = Fail(error, "bad parameter");
    for (const RawParam& p : out) {
      if (text::EqualsIgnoreCase(p.name, name)) return ok = Fail(error, "repeated parameter");
    }
    RawParam param{name, {}};
    if (!item.empty() && item.front() == '"') {
      auto quoted = text::TakeQuotedString(item);
      if (!quoted) return ok = Fail(error, "bad quoted value");
      param.value = std::move(*quoted);
    } else {
      param.value = std::string(text::TakeToken(item));
      if (param.value.empty()) return ok = Fail(error, "empty value");
    }
    if (!text::TrimWs(item).empty()) return ok = Fail(error, "bad parameter");
    out.push_back(std::move(param));
    return true;
  });
  if (!split && ok) return Fail(error, "bad parameter list");
  return ok && split;
}

std::optional<DigestAlgorithm> ParseAlgorithm(std::string_view name) {
  if (text::EqualsIgnoreCase(name, "MD5")) return DigestAlgorithm::kMd5;
  if (text::EqualsIgnoreCase(name, "SHA-256")) return DigestAlgorithm::kSha256;
  return std::nullopt;
}

bool IsLowerHex(std::string_view s, size_t size) {
  if (s.size() != size) return false;
  for (char c : s) {
    if (!text::IsDigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string_view DigestAlgorithmName(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::kMd5 ? "MD5" : "SHA-256";
}

std::optional<DigestChallenge> ParseDigestChallenge(std::string_view value, std::string* error) {
  std::vector<RawParam> params;
  if (!ParseDigestParams(value, params, error)) return std::nullopt;
  DigestChallenge out;
  bool has_realm = false;
  bool has_nonce = false;
  for (RawParam& p : params) {
    const std::string name = text::Lower(p.name);
    if (name == "realm") {
      out.realm = std::move(p.value);
      has_realm = true;
    } else if (name == "nonce") {
      out.nonce = std::move(p.value);
      has_nonce = true;
    } else if (name == "opaque") {
      out.opaque = std::move(p.value);
    } else if (name == "domain") {
      out.domain = std::move(p.value);
    } else if (name == "stale") {
      out.stale = text::EqualsIgnoreCase(p.value, "true");
    } else if (name == "algorithm") {
      auto algorithm = ParseAlgorithm(p.value);
      if (!algorithm) return Fail(error, "unsupported algorithm"), std::nullopt;
      out.algorithm = *algorithm;
    } else if (name == "qop") {
      // qop-options are tokens (RFC 7616 3.3); anything else is not an option we could pick,
      // and would not survive being written back into the quoted list.
      text::SplitList(p.value, kMaxDigestParams, [&](std::string_view q) {
        if (text::IsToken(q)) out.qop.push_back(text::Lower(q));
        return true;
      });
    }
  }
  if (!has_realm || !has_nonce) return Fail(error, "missing realm or nonce"), std::nullopt;
  return out;
}

std::optional<DigestCredentials> ParseDigestCredentials(std::string_view value,
                                                        std::string* error) {
  std::vector<RawParam> params;
  if (!ParseDigestParams(value, params, error)) return std::nullopt;
  DigestCredentials out;
  unsigned seen = 0;
  for (RawParam& p : params) {
    const std::string name = text::Lower(p.name);
    if (name == "username") {
      out.username = std::move(p.value);
      seen |= 1;
    } else if (name == "realm") {
      out.realm = std::move(p.value);
      seen |= 2;
    } else if (name == "nonce") {
      out.nonce = std::move(p.value);
      seen |= 4;
    } else if (name == "uri") {
      out.uri = std::move(p.value);
      seen |= 8;
    } else if (name == "response") {
      out.response = text::Lower(p.value);
      seen |= 16;
    } else if (name == "opaque") {
      out.opaque = std::move(p.value);
    } else if (name == "qop") {
      out.qop = text::Lower(p.value);
    } else if (name == "cnonce") {
      out.cnonce = std::move(p.value);
    } else if (name == "nc") {
      out.nc = text::Lower(p.value);
    } else if (name == "algorithm") {
      auto algorithm = ParseAlgorithm(p.value);
      if (!algorithm) return Fail(error, "unsupported algorithm"), std::nullopt;
      out.algorithm = *algorithm;
    }
  }
  if (seen != 31) return Fail(error, "missing credentials parameter"), std::nullopt;
  if (!out.qop.empty() && (out.cnonce.empty() || !IsLowerHex(out.nc, 8))) {
    return Fail(error, "qop without cnonce or nc"), std::nullopt;
  }
  return out;
}

std::string SerializeDigestChallenge(const DigestChallenge& c) {
  std::string out = "Digest realm=" + text::Quote(c.realm) + ", nonce=" + text::Quote(c.nonce);
  if (!c.opaque.empty()) out += ", opaque=" + text::Quote(c.opaque);
  if (!c.domain.empty()) out += ", domain=" + text::Quote(c.domain);
  if (c.stale) out += ", stale=true";
  out += ", algorithm=";
  out += DigestAlgorithmName(c.algorithm);
  if (!c.qop.empty()) {
    std::string qop;
    for (const std::string& q : c.qop) qop += (qop.empty() ? "" : ",") + q;
    out += ", qop=" + text::Quote(qop);
  }
  return out;
}

std::string SerializeDigestCredentials(const DigestCredentials& c) {
  std::string out = "Digest username=" + text::Quote(c.username) +
                    ", realm=" + text::Quote(c.realm) + ", nonce=" + text::Quote(c.nonce) +
                    ", uri=" + text::Quote(c.uri) + ", response=" + text::Quote(c.response);
  out += ", algorithm=";
  out += DigestAlgorithmName(c.algorithm);
  if (!c.opaque.empty()) out += ", opaque=" + text::Quote(c.opaque);
  if (!c.qop.empty() && text::IsToken(c.qop) && text::IsToken(c.nc)) {
    out += ", qop=" + c.qop + ", nc=" + c.nc + ", cnonce=" + text::Quote(c.cnonce);
  }
  return out;
}

std::string ComputeHa1(DigestAlgorithm algorithm, std::string_view username, std::string_view realm,
                       std::string_view password) {
  std::string a1;
  a1.reserve(username.size() + realm.size() + password.size() + 2);
  a1.append(username).append(":").append(realm).append(":").append(password);
  return HashHex(algorithm, a1);
}

std::string ComputeDigestResponse(DigestAlgorithm algorithm, std::string_view ha1_hex,
                                  std::string_view method, const DigestCredentials& c) {
  std::string a2;
  a2.append(method).append(":").append(c.uri);
  const std::string ha2 = HashHex(algorithm, a2);
  std::string kd;
  kd.append(ha1_hex).append(":").append(c.nonce).append(":");
  if (!c.qop.empty())
    kd.append(c.nc).append(":").append(c.cnonce).append(":").append(c.qop).append(":");
  kd.append(ha2);
  return HashHex(algorithm, kd);
}

DigestServer::DigestServer(std::string secret, std::string realm, const Clock& clock,
                           std::chrono::seconds lifetime)
    : secret_(std::move(secret)), realm_(std::move(realm)), clock_(clock), lifetime_(lifetime) {}

std::string DigestServer::MakeNonce(uint32_t timestamp) const {
  char stamp[9];
  std::snprintf(stamp, sizeof(stamp), "%08x", timestamp);
  std::string data = std::string(stamp) + ":" + realm_;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &mac_size);
  return std::string(stamp) + Hex(mac, mac_size);
}

DigestChallenge DigestServer::Challenge(DigestAlgorithm algorithm, bool stale) const {
  DigestChallenge c;
  c.realm = realm_;
  c.nonce = MakeNonce(clock_.NowNtp().seconds);
  c.algorithm = algorithm;
  c.stale = stale;
  c.qop = {"auth"};
  return c;
}

DigestServer::Verdict DigestServer::Verify(const DigestCredentials& c, std::string_view method,
                                           std::string_view ha1_hex) const {
  if (!IsLowerHex(c.nonce, 8 + 64)) return Verdict::kBadNonce;
  uint32_t stamp = 0;
  for (char ch : std::string_view(c.nonce).substr(0, 8)) {
    stamp = stamp << 4 | static_cast<uint32_t>(text::IsDigit(ch) ? ch - '0' : ch - 'a' + 10);
  }
  if (!ConstantTimeEquals(MakeNonce(stamp), c.nonce)) return Verdict::kBadNonce;
  if (c.realm != realm_) return Verdict::kBadRealm;
  if (!c.qop.empty() && c.qop != "auth") return Verdict::kBadQop;
  const std::string expected = ComputeDigestResponse(c.algorithm, ha1_hex, method, c);
  if (!ConstantTimeEquals(expected, c.response)) return Verdict::kBadResponse;
  // Staleness last: a stale nonce with a correct response lets the client retry silently.
  const int64_t age = int64_t{clock_.NowNtp().seconds} - int64_t{stamp};
  if (age < -5 || age > lifetime_.count()) return Verdict::kStale;
  return Verdict::kOk;
}

std::optional<DigestCredentials> AnswerDigestChallenge(
    const DigestChallenge& challenge, std::string_view username, std::string_view password,
    std::string_view method, std::string_view uri, std::string_view cnonce, uint32_t nc) {
  DigestCredentials c;
  c.username = std::string(username);
  c.realm = challenge.realm;
  c.nonce = challenge.nonce;
  c.uri = std::string(uri);
  c.opaque = challenge.opaque;
  c.algorithm = challenge.algorithm;
  if (!challenge.qop.empty()) {
    bool auth = false;
    for (const std::string& q : challenge.qop) auth = auth || q == "auth";
    if (!auth) return std::nullopt;
    char count[9];
    std::snprintf(count, sizeof(count), "%08x", nc);
    c.qop = "auth";
    c.nc = count;
    c.cnonce = std::string(cnonce);
  }
  const std::string ha1 = ComputeHa1(c.algorithm, username, c.realm, password);
  c.response = ComputeDigestResponse(c.algorithm, ha1, method, c);
  return c;
}

}  // namespace tessera::sip
