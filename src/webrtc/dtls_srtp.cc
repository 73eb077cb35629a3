#include "webrtc/dtls_srtp.h"

#include <openssl/crypto.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>

#include <array>
#include <cstdint>
#include <vector>

namespace tessera::webrtc {
namespace {

constexpr char kExporterLabel[] = "EXTRACTOR-dtls_srtp";  // RFC 5764 section 4.2
// The largest exported block of any suite below: two AES-128 keys and two 14-byte salts.
constexpr size_t kMaxKeyingMaterial = 2 * (16 + 14);

struct SrtpProfile {
  srtp::SrtpSuite suite;
  const char* openssl_name;  // as SSL_CTX_set_tlsext_use_srtp spells it
  unsigned long id;          // RFC 5764 4.1.2 / RFC 7714 14.2 profile number
};
constexpr SrtpProfile kSrtpProfiles[] = {
    {srtp::SrtpSuite::kAeadAes128Gcm, "SRTP_AEAD_AES_128_GCM", SRTP_AEAD_AES_128_GCM},
    {srtp::SrtpSuite::kAesCm128HmacSha1_80, "SRTP_AES128_CM_SHA1_80", SRTP_AES128_CM_SHA1_80},
    {srtp::SrtpSuite::kAesCm128HmacSha1_32, "SRTP_AES128_CM_SHA1_32", SRTP_AES128_CM_SHA1_32},
};

const SrtpProfile* ProfileForSuite(srtp::SrtpSuite suite) {
  for (const SrtpProfile& p : kSrtpProfiles) {
    if (p.suite == suite) return &p;
  }
  return nullptr;
}

}  // namespace

StatusOr<std::string> SrtpProfileList(std::span<const srtp::SrtpSuite> suites) {
  std::vector<const SrtpProfile*> chosen;
  for (srtp::SrtpSuite suite : suites) {
    const SrtpProfile* profile = ProfileForSuite(suite);
    if (profile == nullptr) {
      return InvalidArgumentError("DTLS: no DTLS-SRTP profile for " +
                                  std::string(srtp::SrtpSuiteName(suite)));
    }
    bool seen = false;
    for (const SrtpProfile* p : chosen) seen = seen || p == profile;
    if (!seen) chosen.push_back(profile);
  }
  if (chosen.empty()) return InvalidArgumentError("DTLS: no SRTP profiles to offer");
  std::string list;
  for (const SrtpProfile* p : chosen) {
    if (!list.empty()) list += ':';
    list += p->openssl_name;
  }
  return list;
}

std::optional<srtp::SrtpSuite> SuiteForSrtpProfile(unsigned long profile_id) {
  for (const SrtpProfile& p : kSrtpProfiles) {
    if (p.id == profile_id) return p.suite;
  }
  return std::nullopt;
}

std::optional<SrtpKeys> ExportSrtpKeys(SSL* ssl, srtp::SrtpSuite suite, bool we_are_server) {
  const size_t key_length = srtp::MasterKeyLength(suite);
  const size_t salt_length = srtp::MasterSaltLength(suite);
  const size_t length = 2 * (key_length + salt_length);
  std::array<uint8_t, kMaxKeyingMaterial> material{};
  if (ssl == nullptr || length > material.size() ||
      SSL_export_keying_material(ssl, material.data(), length, kExporterLabel,
                                 sizeof(kExporterLabel) - 1, nullptr, 0, 0) != 1) {
    return std::nullopt;
  }
  const uint8_t* client_key = material.data();
  const uint8_t* server_key = client_key + key_length;
  const uint8_t* client_salt = server_key + key_length;
  const uint8_t* server_salt = client_salt + salt_length;
  auto join = [&](const uint8_t* key, const uint8_t* salt) {
    std::vector<uint8_t> out;
    out.reserve(key_length + salt_length);  // no reallocation leaving a copy behind
    out.insert(out.end(), key, key + key_length);
    out.insert(out.end(), salt, salt + salt_length);
    return out;
  };
  SrtpKeys keys;
  keys.suite = suite;
  keys.local_key_salt =
      we_are_server ? join(server_key, server_salt) : join(client_key, client_salt);
  keys.remote_key_salt =
      we_are_server ? join(client_key, client_salt) : join(server_key, server_salt);
  OPENSSL_cleanse(material.data(), material.size());
  return keys;
}

}  // namespace tessera::webrtc
