// The certificate Tessera presents in DTLS-SRTP handshakes (RFC 5763), and the SDP
// a=fingerprint attribute (RFC 8122 section 5) that authenticates a peer's certificate.
//
// WebRTC certificates are self-signed: no CA vouches for them. What binds a DTLS handshake to the
// signalled session is that the certificate's digest equals the a=fingerprint value carried in
// the (authenticated) SDP.
#pragma once

#include <openssl/types.h>
#include <tessera/base/status.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::webrtc {

// One a=fingerprint value: "sha-256 4A:AD:B9:...".
struct SdpFingerprint {
  std::string algorithm;        // lower case: "sha-1", "sha-224", "sha-256", "sha-384", "sha-512"
  std::vector<uint8_t> digest;  // of the DER certificate; the algorithm's length
  bool operator==(const SdpFingerprint&) const = default;
};

// Parses an a=fingerprint attribute value (what follows "a=fingerprint:"): a hash function name
// (any case; one of the five above), one or more spaces, then the digest as two-digit hex bytes
// (either case) joined by single colons, of exactly the hash's length. Surrounding whitespace is
// ignored. nullopt for anything else (unknown hash, "md5", a wrong length, a stray colon ...).
std::optional<SdpFingerprint> ParseFingerprint(std::string_view a_fingerprint_value);

// "sha-256 4A:AD:B9:..." with upper-case hex, as RFC 8122 writes it and browsers send it.
std::string FormatFingerprint(const SdpFingerprint& fingerprint);

// True when the DER encoding of `certificate` hashes (with fingerprint.algorithm) to
// fingerprint.digest. False for a null certificate or an unsupported algorithm.
bool CertificateMatches(const X509* certificate, const SdpFingerprint& fingerprint);

// An ECDSA key and its certificate, immutable once made. Shared (shared_ptr<const>) by every
// DtlsTransport of the process, whichever shard they run on: OpenSSL reference-counts X509 and
// EVP_PKEY atomically and nothing here changes them after construction.
//
// Runs on: any thread (immutable).
class DtlsCertificate {
 public:
  // A fresh ECDSA P-256 key and a self-signed X.509 v3 certificate for it: random 64-bit serial,
  // subject and issuer CN=tessera, valid from one day ago (clock skew) until 30 days from now,
  // signed with ECDSA-SHA256. INTERNAL if OpenSSL fails.
  static StatusOr<std::shared_ptr<const DtlsCertificate>> Generate();

  // Reads a PEM certificate (the first one in the file) and a PEM private key (PKCS#8 or
  // traditional, unencrypted: there is no passphrase prompt). INVALID_ARGUMENT naming the file and
  // the reason when a file cannot be read or parsed, when the key is not an EC key (DTLS here
  // offers ECDHE-ECDSA suites only), or when the key is not the certificate's.
  static StatusOr<std::shared_ptr<const DtlsCertificate>> LoadPem(const std::string& cert_path,
                                                                  const std::string& key_path);

  ~DtlsCertificate();
  DtlsCertificate(const DtlsCertificate&) = delete;
  DtlsCertificate& operator=(const DtlsCertificate&) = delete;

  // The whole a=fingerprint value for our SDP: "sha-256 AB:CD:...".
  std::string Fingerprint() const { return FormatFingerprint(fingerprint_); }
  // Its two pieces: "sha-256", and "AB:CD:..." (32 upper-case hex bytes joined by colons).
  std::string_view FingerprintAlgorithm() const { return fingerprint_.algorithm; }
  std::string FingerprintHex() const;
  // The SHA-256 fingerprint as a value.
  const SdpFingerprint& sdp_fingerprint() const { return fingerprint_; }

  // Borrowed pointers for SSL_CTX_use_certificate / SSL_CTX_use_PrivateKey, which take their own
  // reference. Owned by this object; never null. Callers must not modify them.
  X509* x509() const { return certificate_.get(); }
  EVP_PKEY* private_key() const { return key_.get(); }

 private:
  struct X509Deleter {
    void operator()(X509* p) const;
  };
  struct KeyDeleter {
    void operator()(EVP_PKEY* p) const;
  };

  DtlsCertificate(std::unique_ptr<X509, X509Deleter> certificate,
                  std::unique_ptr<EVP_PKEY, KeyDeleter> key, SdpFingerprint fingerprint);
  // Computes the SHA-256 fingerprint and wraps both. INTERNAL if that fails.
  static StatusOr<std::shared_ptr<const DtlsCertificate>> Make(
      std::unique_ptr<X509, X509Deleter> certificate, std::unique_ptr<EVP_PKEY, KeyDeleter> key);

  std::unique_ptr<X509, X509Deleter> certificate_;
  std::unique_ptr<EVP_PKEY, KeyDeleter> key_;
  SdpFingerprint fingerprint_;
};

}  // namespace tessera::webrtc
