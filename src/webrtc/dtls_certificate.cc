#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <tessera/webrtc/dtls_certificate.h>

#include <cstring>  // strstr, which the EVP_EC_gen macro uses
#include <utility>

#include "webrtc/openssl_handles.h"

namespace tessera::webrtc {
namespace {

constexpr int kSerialBits = 64;
constexpr long kOneDaySeconds = 24 * 60 * 60;
constexpr long kLifetimeSeconds = 30 * kOneDaySeconds;
constexpr char kCommonName[] = "tessera";
constexpr char kHexDigits[] = "0123456789ABCDEF";

// The hash functions RFC 8122 section 5 lists that are still in use (md2 and md5 are refused).
struct HashFunction {
  std::string_view name;
  size_t length;
  const EVP_MD* (*md)();
};
const HashFunction kHashFunctions[] = {
    {"sha-1", 20, &EVP_sha1},     {"sha-224", 28, &EVP_sha224}, {"sha-256", 32, &EVP_sha256},
    {"sha-384", 48, &EVP_sha384}, {"sha-512", 64, &EVP_sha512},
};

const HashFunction* FindHash(std::string_view lower_case_name) {
  for (const HashFunction& hash : kHashFunctions) {
    if (hash.name == lower_case_name) return &hash;
  }
  return nullptr;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string HexWithColons(const std::vector<uint8_t>& bytes) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out.push_back(':');
    out.push_back(kHexDigits[bytes[i] >> 4]);
    out.push_back(kHexDigits[bytes[i] & 0x0F]);
  }
  return out;
}

// Never prompts on a terminal for a passphrase (the default callback would): an encrypted key
// simply fails to load.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }

Status GenerateError(const char* step) {
  return InternalError(std::string("DTLS certificate: ") + step + ": " + ossl::TakeOpenSslError());
}

}  // namespace

std::optional<SdpFingerprint> ParseFingerprint(std::string_view value) {
  while (!value.empty() && IsBlank(value.front())) value.remove_prefix(1);
  while (!value.empty() && IsBlank(value.back())) value.remove_suffix(1);
  size_t split = 0;
  while (split < value.size() && !IsBlank(value[split])) ++split;
  const std::string algorithm = ToLower(value.substr(0, split));
  std::string_view hex = value.substr(split);
  while (!hex.empty() && IsBlank(hex.front())) hex.remove_prefix(1);

  const HashFunction* hash = FindHash(algorithm);
  if (hash == nullptr || hex.size() != hash->length * 3 - 1) return std::nullopt;
  SdpFingerprint fingerprint;
  fingerprint.algorithm = algorithm;
  fingerprint.digest.reserve(hash->length);
  for (size_t i = 0; i < hash->length; ++i) {
    const int high = HexValue(hex[3 * i]);
    const int low = HexValue(hex[3 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    if (i + 1 < hash->length && hex[3 * i + 2] != ':') return std::nullopt;
    fingerprint.digest.push_back(static_cast<uint8_t>(high << 4 | low));
  }
  return fingerprint;
}

std::string FormatFingerprint(const SdpFingerprint& fingerprint) {
  return fingerprint.algorithm + " " + HexWithColons(fingerprint.digest);
}

bool CertificateMatches(const X509* certificate, const SdpFingerprint& fingerprint) {
  const HashFunction* hash = FindHash(ToLower(fingerprint.algorithm));
  if (certificate == nullptr || hash == nullptr || fingerprint.digest.size() != hash->length) {
    return false;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, hash->md(), digest, &length) != 1) {
    ERR_clear_error();
    return false;
  }
  return length == fingerprint.digest.size() &&
         CRYPTO_memcmp(digest, fingerprint.digest.data(), length) == 0;
}

void DtlsCertificate::X509Deleter::operator()(X509* p) const { X509_free(p); }
void DtlsCertificate::KeyDeleter::operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }

DtlsCertificate::DtlsCertificate(std::unique_ptr<X509, X509Deleter> certificate,
                                 std::unique_ptr<EVP_PKEY, KeyDeleter> key,
                                 SdpFingerprint fingerprint)
    : certificate_(std::move(certificate)),
      key_(std::move(key)),
      fingerprint_(std::move(fingerprint)) {}

DtlsCertificate::~DtlsCertificate() = default;

std::string DtlsCertificate::FingerprintHex() const { return HexWithColons(fingerprint_.digest); }

StatusOr<std::shared_ptr<const DtlsCertificate>> DtlsCertificate::Make(
    std::unique_ptr<X509, X509Deleter> certificate, std::unique_ptr<EVP_PKEY, KeyDeleter> key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate.get(), EVP_sha256(), digest, &length) != 1) {
    return GenerateError("X509_digest");
  }
  SdpFingerprint fingerprint{"sha-256", std::vector<uint8_t>(digest, digest + length)};
  return std::shared_ptr<const DtlsCertificate>(
      new DtlsCertificate(std::move(certificate), std::move(key), std::move(fingerprint)));
}

StatusOr<std::shared_ptr<const DtlsCertificate>> DtlsCertificate::Generate() {
  ERR_clear_error();
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(EVP_EC_gen("prime256v1"));
  if (!key) return GenerateError("P-256 key generation");
  std::unique_ptr<X509, X509Deleter> cert(X509_new());
  ossl::BignumPtr serial(BN_new());
  if (!cert || !serial) return GenerateError("allocation");
  X509* x = cert.get();
  // A 64-bit serial with its top bit set: positive, unique enough among our own certificates.
  if (BN_rand(serial.get(), kSerialBits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x)) == nullptr) {
    return GenerateError("serial number");
  }
  if (X509_set_version(x, X509_VERSION_3) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(x), -kOneDaySeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(x), kLifetimeSeconds) == nullptr) {
    return GenerateError("validity");
  }
  X509_NAME* name = X509_get_subject_name(x);
  if (name == nullptr ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(kCommonName), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(x, name) != 1) {
    return GenerateError("subject name");
  }
  if (X509_set_pubkey(x, key.get()) != 1 || X509_sign(x, key.get(), EVP_sha256()) <= 0) {
    return GenerateError("signing");
  }
  return Make(std::move(cert), std::move(key));
}

StatusOr<std::shared_ptr<const DtlsCertificate>> DtlsCertificate::LoadPem(
    const std::string& cert_path, const std::string& key_path) {
  ERR_clear_error();
  ossl::BioPtr cert_bio(BIO_new_file(cert_path.c_str(), "r"));
  if (!cert_bio) {
    return InvalidArgumentError("DTLS certificate file '" + cert_path +
                                "' cannot be opened: " + ossl::TakeOpenSslError());
  }
  std::unique_ptr<X509, X509Deleter> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, &NoPassphrase, nullptr));
  if (!cert) {
    return InvalidArgumentError("DTLS certificate file '" + cert_path +
                                "' holds no PEM certificate: " + ossl::TakeOpenSslError());
  }
  ossl::BioPtr key_bio(BIO_new_file(key_path.c_str(), "r"));
  if (!key_bio) {
    return InvalidArgumentError("DTLS key file '" + key_path +
                                "' cannot be opened: " + ossl::TakeOpenSslError());
  }
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, &NoPassphrase, nullptr));
  if (!key) {
    return InvalidArgumentError(
        "DTLS key file '" + key_path +
        "' holds no unencrypted PEM private key: " + ossl::TakeOpenSslError());
  }
  if (EVP_PKEY_is_a(key.get(), "EC") != 1) {
    return InvalidArgumentError("DTLS key file '" + key_path +
                                "' is not an EC key: DTLS-SRTP here offers ECDHE-ECDSA only");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return InvalidArgumentError("DTLS key file '" + key_path +
                                "' is not the key of the certificate in '" + cert_path + "'");
  }
  return Make(std::move(cert), std::move(key));
}

}  // namespace tessera::webrtc
