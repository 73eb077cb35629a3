#include "control/jwt_crypto.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <tessera/srtp/openssl_error.h>

#include <climits>
#include <cstdint>
#include <utility>
#include <vector>

namespace tessera::control {
namespace {

constexpr int kEs256Half = 32;               // bytes of R, and of S
constexpr size_t kEs256SignatureBytes = 64;  // R || S
constexpr size_t kPemMaxBytes = 16 * 1024;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

using srtp::TakeOpenSslError;

// Never prompts on a terminal for a passphrase (the default callback would): an encrypted key
// simply fails to load.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }

StatusOr<BioPtr> MemoryBio(const std::string& pem) {
  if (pem.empty()) return InvalidArgumentError("empty PEM");
  if (pem.size() > kPemMaxBytes) return InvalidArgumentError("PEM longer than 16 KiB");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return InternalError("BIO_new_mem_buf: " + TakeOpenSslError());
  return StatusOr<BioPtr>(std::move(bio));
}

StatusOr<std::string> BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  if (n <= 0 || data == nullptr) return InternalError("PEM writer produced nothing");
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

std::shared_ptr<EVP_PKEY> ShareKey(EVP_PKEY* key) {
  if (key == nullptr) return nullptr;
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  if (key.size() > static_cast<size_t>(INT_MAX)) return {};
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  // A non-null pointer even for an empty key: some OpenSSL 3.0 releases fail HMAC on NULL.
  static const unsigned char kNoKey = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kNoKey) : key.data();
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), Bytes(data), data.size(), md,
           &md_len) == nullptr) {
    ERR_clear_error();
    return {};
  }
  std::string out(reinterpret_cast<const char*>(md), md_len);
  OPENSSL_cleanse(md, sizeof(md));
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<std::string> Es256Sign(EVP_PKEY* private_key, std::string_view data) {
  if (private_key == nullptr) return std::nullopt;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t der_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, private_key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_len, Bytes(data), data.size()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::vector<unsigned char> der(der_len);
  if (EVP_DigestSign(ctx.get(), der.data(), &der_len, Bytes(data), data.size()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  // OpenSSL writes ECDSA-Sig-Value (DER SEQUENCE of two INTEGERs); JOSE wants the two numbers
  // as fixed-width big-endian halves.
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!sig) {
    ERR_clear_error();
    return std::nullopt;
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(kEs256SignatureBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (r == nullptr || s == nullptr || BN_bn2binpad(r, o, kEs256Half) != kEs256Half ||
      BN_bn2binpad(s, o + kEs256Half, kEs256Half) != kEs256Half) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

bool Es256Verify(EVP_PKEY* public_key, std::string_view data, std::string_view signature) {
  if (public_key == nullptr || signature.size() != kEs256SignatureBytes) return false;
  const unsigned char* raw = Bytes(signature);
  BIGNUM* r = BN_bin2bn(raw, kEs256Half, nullptr);
  BIGNUM* s = BN_bin2bn(raw + kEs256Half, kEs256Half, nullptr);
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || !sig || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);  // ECDSA_SIG_set0 owns them only once it succeeded
    BN_free(s);
    ERR_clear_error();
    return false;
  }
  unsigned char* der = nullptr;  // allocated by i2d_ECDSA_SIG
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0 || der == nullptr) {
    ERR_clear_error();
    return false;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, public_key) == 1 &&
      EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len), Bytes(data), data.size()) == 1;
  OPENSSL_free(der);
  ERR_clear_error();
  return ok;
}

std::shared_ptr<EVP_PKEY> GenerateP256Key() {
  auto key = ShareKey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) ERR_clear_error();
  return key;
}

bool IsP256(EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_is_a(key, "EC") != 1) return false;
  char name[64] = {};
  size_t name_len = 0;
  if (EVP_PKEY_get_group_name(key, name, sizeof(name), &name_len) != 1) {
    ERR_clear_error();
    return false;
  }
  // OpenSSL reports the short name ("prime256v1"); NIST's "P-256" is checked too.
  return OBJ_sn2nid(name) == NID_X9_62_prime256v1 ||
         EC_curve_nist2nid(name) == NID_X9_62_prime256v1;
}

StatusOr<std::shared_ptr<EVP_PKEY>> ReadPublicKeyPem(const std::string& pem) {
  auto bio = MemoryBio(pem);
  if (!bio.ok()) return bio.status();
  auto key = ShareKey(PEM_read_bio_PUBKEY(bio->get(), nullptr, NoPassphrase, nullptr));
  if (!key) return InvalidArgumentError("not a PEM public key (" + TakeOpenSslError() + ")");
  return key;
}

StatusOr<std::shared_ptr<EVP_PKEY>> ReadPrivateKeyPem(const std::string& pem) {
  auto bio = MemoryBio(pem);
  if (!bio.ok()) return bio.status();
  auto key = ShareKey(PEM_read_bio_PrivateKey(bio->get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    return InvalidArgumentError("not an unencrypted PEM private key (" + TakeOpenSslError() + ")");
  }
  return key;
}

StatusOr<std::string> WritePublicKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return InternalError("writing a public key PEM: " + TakeOpenSslError());
  }
  return BioText(bio.get());
}

StatusOr<std::string> WritePrivateKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return InternalError("writing a private key PEM: " + TakeOpenSslError());
  }
  return BioText(bio.get());
}

StatusOr<std::shared_ptr<EVP_PKEY>> PublicHalf(EVP_PKEY* key) {
  auto pem = WritePublicKeyPem(key);
  if (!pem.ok()) return pem.status();
  return ReadPublicKeyPem(*pem);
}

std::optional<std::string> RandomBytes(size_t n) {
  if (n > static_cast<size_t>(INT_MAX)) return std::nullopt;
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

}  // namespace tessera::control
