// The keys that seal the audit log's checkpoints: an Ed25519 key pair (the node signs with the
// private key; anyone holding the public key verifies) or one HMAC-SHA256 key (whoever verifies
// could also forge: for a single operator who keeps the key off the node's disk backups).
#pragma once

#include <tessera/base/status.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::audit {

enum class SignatureAlg { kEd25519, kHmacSha256 };

// "ed25519" or "hmac-sha256": the checkpoints' "alg".
const char* SignatureAlgName(SignatureAlg alg);

// Signs checkpoints. Immutable once made. Runs on: any thread (the audit log's writer).
class CheckpointSigner {
 public:
  // An Ed25519 private key (PEM, as `tessera-audit keygen` writes it) or an HMAC key file (its
  // bytes, trailing newlines stripped, at least 32 of them): told apart by the PEM header.
  // Refuses a file group or others may read (chmod 600 it). Errors name the file and why.
  static StatusOr<std::unique_ptr<CheckpointSigner>> Load(const std::string& path);
  // An HMAC-SHA256 key (at least 32 bytes).
  static StatusOr<std::unique_ptr<CheckpointSigner>> FromHmacKey(std::vector<uint8_t> key);
  virtual ~CheckpointSigner() = default;

  virtual SignatureAlg alg() const = 0;
  // The signature of `message`, base64; Internal when OpenSSL fails.
  virtual StatusOr<std::string> Sign(std::string_view message) const = 0;
  // A name for the key when the operator gives none: 16 hex digits of SHA-256 over the Ed25519
  // public key, or of an HMAC under the HMAC key (the key itself is never hashed bare).
  virtual std::string Fingerprint() const = 0;
};

// Checks checkpoints' signatures. Immutable once made. Runs on: any thread.
class CheckpointVerifier {
 public:
  // An Ed25519 public key (PEM, "-----BEGIN PUBLIC KEY-----").
  static StatusOr<std::unique_ptr<CheckpointVerifier>> LoadPublicKey(const std::string& path);
  // The HMAC key file the node signs with (same rules as CheckpointSigner::Load's).
  static StatusOr<std::unique_ptr<CheckpointVerifier>> LoadHmacKey(const std::string& path);
  static StatusOr<std::unique_ptr<CheckpointVerifier>> FromHmacKey(std::vector<uint8_t> key);
  virtual ~CheckpointVerifier() = default;

  virtual SignatureAlg alg() const = 0;
  // True when `signature_base64` is this key's signature of `message`.
  virtual bool Verify(std::string_view message, std::string_view signature_base64) const = 0;
};

// A new Ed25519 key pair: the private key (PEM, PKCS#8) to `private_path` with mode 0600, the
// public key (PEM) to `public_path` with mode 0644. Refuses to overwrite either file
// (AlreadyExists); on any error neither file is left behind.
Status WriteEd25519KeyPair(const std::string& private_path, const std::string& public_path);

}  // namespace tessera::audit
