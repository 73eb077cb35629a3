// Ed25519 through OpenSSL's EVP_PKEY (one-shot EVP_DigestSign: Ed25519 hashes internally), HMAC
// through HMAC(); keys' bytes are cleansed when they go.
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <tessera/audit/keys.h>
#include <tessera/base/base64.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "audit/line.h"

namespace tessera::audit {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using Bio = std::unique_ptr<BIO, BioFree>;

constexpr size_t kMinHmacKeyBytes = 32;
constexpr size_t kMaxKeyFileBytes = 64 * 1024;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// The file's bytes; refused when group or others may read it and `secret`.
StatusOr<std::string> ReadKeyFile(const std::string& path, bool secret) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return NotFoundError(path + ": cannot open the key file: " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgumentError(path + ": not a regular file");
  }
  if (secret && (st.st_mode & 077) != 0) {
    ::close(fd);
    return PermissionDeniedError(path +
                                 ": a signing key group or others may read; chmod 600 it first");
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxKeyFileBytes) {
    ::close(fd);
    return InvalidArgumentError(path + ": too large for a key file");
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

std::vector<uint8_t> HmacKeyFrom(std::string& text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::vector<uint8_t> key(text.begin(), text.end());
  OPENSSL_cleanse(text.data(), text.size());
  return key;
}

std::string Hex16(std::span<const unsigned char> md) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < 8 && i < md.size(); ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0x0f]);
  }
  return out;
}

std::array<unsigned char, 32> HmacSha256(const std::vector<uint8_t>& key, std::string_view msg) {
  std::array<unsigned char, 32> md{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), Bytes(msg), msg.size(), md.data(),
       &len);
  return md;
}

class HmacSigner final : public CheckpointSigner, public CheckpointVerifier {
 public:
  explicit HmacSigner(std::vector<uint8_t> key) : key_(std::move(key)) {}
  ~HmacSigner() override { OPENSSL_cleanse(key_.data(), key_.size()); }

  // Both bases name alg(): one definition serves both.
  SignatureAlg alg() const override { return SignatureAlg::kHmacSha256; }
  StatusOr<std::string> Sign(std::string_view message) const override {
    const auto md = HmacSha256(key_, message);
    return EncodeBase64(md);
  }
  std::string Fingerprint() const override {
    return Hex16(HmacSha256(key_, "tessera audit key id"));
  }
  bool Verify(std::string_view message, std::string_view signature_base64) const override {
    const auto sig = DecodeBase64(signature_base64, 64);
    const auto md = HmacSha256(key_, message);
    return sig && sig->size() == md.size() && CRYPTO_memcmp(sig->data(), md.data(), md.size()) == 0;
  }

 private:
  std::vector<uint8_t> key_;
};

class Ed25519Signer final : public CheckpointSigner {
 public:
  explicit Ed25519Signer(Pkey key) : key_(std::move(key)) {}
  SignatureAlg alg() const override { return SignatureAlg::kEd25519; }
  StatusOr<std::string> Sign(std::string_view message) const override {
    MdCtx ctx(EVP_MD_CTX_new());
    std::array<unsigned char, 64> sig{};
    size_t len = sig.size();
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), sig.data(), &len, Bytes(message), message.size()) != 1) {
      return InternalError("audit: Ed25519 signing failed (OpenSSL)");
    }
    return EncodeBase64(std::span<const uint8_t>(sig.data(), len));
  }
  std::string Fingerprint() const override {
    std::array<unsigned char, 32> raw{};
    size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(key_.get(), raw.data(), &len) != 1) return "ed25519";
    const std::string hex = Sha256Hex(std::string_view(reinterpret_cast<char*>(raw.data()), len));
    return hex.substr(0, 16);
  }

 private:
  Pkey key_;
};

class Ed25519Verifier final : public CheckpointVerifier {
 public:
  explicit Ed25519Verifier(Pkey key) : key_(std::move(key)) {}
  SignatureAlg alg() const override { return SignatureAlg::kEd25519; }
  bool Verify(std::string_view message, std::string_view signature_base64) const override {
    const auto sig = DecodeBase64(signature_base64, 128);
    if (!sig || sig->size() != 64) return false;
    MdCtx ctx(EVP_MD_CTX_new());
    return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
           EVP_DigestVerify(ctx.get(), sig->data(), sig->size(), Bytes(message), message.size()) ==
               1;
  }

 private:
  Pkey key_;
};

// Writes `bytes` to a new file `path` with `mode`; AlreadyExists when it is there.
Status WriteNewFile(const std::string& path, std::string_view bytes, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Status(
          StatusCode::kAlreadyExists,
          path + ": already exists; it is not overwritten (remove it or pick another name)");
    }
    return UnavailableError(path + ": cannot create: " + std::strerror(errno));
  }
  // The umask may have narrowed `mode`; the public key should be readable as asked.
  (void)::fchmod(fd, mode);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == bytes.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return UnavailableError(path + ": cannot write: " + std::strerror(errno));
  }
  return Status::Ok();
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

}  // namespace

const char* SignatureAlgName(SignatureAlg alg) {
  return alg == SignatureAlg::kEd25519 ? "ed25519" : "hmac-sha256";
}

StatusOr<std::unique_ptr<CheckpointSigner>> CheckpointSigner::Load(const std::string& path) {
  auto text = ReadKeyFile(path, /*secret=*/true);
  if (!text.ok()) return text.status();
  if (text->starts_with("-----BEGIN")) {
    Bio bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
    Pkey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    OPENSSL_cleanse(text->data(), text->size());
    if (!key) return InvalidArgumentError(path + ": not a PEM private key");
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
      return InvalidArgumentError(path +
                                  ": not an Ed25519 key (make one with tessera-audit keygen)");
    }
    return std::unique_ptr<CheckpointSigner>(std::make_unique<Ed25519Signer>(std::move(key)));
  }
  auto signer = FromHmacKey(HmacKeyFrom(*text));
  if (!signer.ok()) return Status(signer.status().code(), path + ": " + signer.status().message());
  return signer;
}

StatusOr<std::unique_ptr<CheckpointSigner>> CheckpointSigner::FromHmacKey(
    std::vector<uint8_t> key) {
  if (key.size() < kMinHmacKeyBytes) {
    OPENSSL_cleanse(key.data(), key.size());
    return InvalidArgumentError("an HMAC key needs at least 32 bytes (e.g. openssl rand -hex 32)");
  }
  return std::unique_ptr<CheckpointSigner>(std::make_unique<HmacSigner>(std::move(key)));
}

StatusOr<std::unique_ptr<CheckpointVerifier>> CheckpointVerifier::LoadPublicKey(
    const std::string& path) {
  auto text = ReadKeyFile(path, /*secret=*/false);
  if (!text.ok()) return text.status();
  Bio bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  Pkey key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    return InvalidArgumentError(path +
                                ": not a PEM public key (-----BEGIN PUBLIC KEY-----); give the "
                                ".pub.pem that tessera-audit keygen wrote");
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
    return InvalidArgumentError(path + ": not an Ed25519 public key");
  }
  return std::unique_ptr<CheckpointVerifier>(std::make_unique<Ed25519Verifier>(std::move(key)));
}

StatusOr<std::unique_ptr<CheckpointVerifier>> CheckpointVerifier::LoadHmacKey(
    const std::string& path) {
  auto text = ReadKeyFile(path, /*secret=*/true);
  if (!text.ok()) return text.status();
  if (text->starts_with("-----BEGIN")) {
    return InvalidArgumentError(path + ": a PEM key, not an HMAC key file (use --public-key)");
  }
  auto verifier = FromHmacKey(HmacKeyFrom(*text));
  if (!verifier.ok()) {
    return Status(verifier.status().code(), path + ": " + verifier.status().message());
  }
  return verifier;
}

StatusOr<std::unique_ptr<CheckpointVerifier>> CheckpointVerifier::FromHmacKey(
    std::vector<uint8_t> key) {
  if (key.size() < kMinHmacKeyBytes) {
    OPENSSL_cleanse(key.data(), key.size());
    return InvalidArgumentError("an HMAC key needs at least 32 bytes (e.g. openssl rand -hex 32)");
  }
  return std::unique_ptr<CheckpointVerifier>(std::make_unique<HmacSigner>(std::move(key)));
}

Status WriteEd25519KeyPair(const std::string& private_path, const std::string& public_path) {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return InternalError("audit: cannot generate an Ed25519 key (OpenSSL)");
  Bio priv(BIO_new(BIO_s_secmem()));  // cleansed when freed
  Bio pub(BIO_new(BIO_s_mem()));
  if (!priv || !pub ||
      PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) {
    return InternalError("audit: cannot write the Ed25519 key as PEM (OpenSSL)");
  }
  // Both names checked before either is written: no half-made pair on a refusal.
  struct stat st {};
  for (const std::string* p : {&private_path, &public_path}) {
    if (::lstat(p->c_str(), &st) == 0) {
      return Status(
          StatusCode::kAlreadyExists,
          *p + ": already exists; it is not overwritten (remove it or pick another name)");
    }
  }
  if (private_path == public_path) {
    return InvalidArgumentError("the private and the public key need different files");
  }
  std::string private_pem = BioText(priv.get());
  Status s = WriteNewFile(private_path, private_pem, 0600);
  OPENSSL_cleanse(private_pem.data(), private_pem.size());
  if (!s.ok()) return s;
  s = WriteNewFile(public_path, BioText(pub.get()), 0644);
  if (!s.ok()) ::unlink(private_path.c_str());
  return s;
}

}  // namespace tessera::audit
