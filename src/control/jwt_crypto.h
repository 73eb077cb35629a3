// The OpenSSL calls behind jwt.h: HMAC-SHA256, ECDSA P-256 with SHA-256 in JOSE form, PEM keys.
// Private to control/; every function leaves OpenSSL's per-thread error queue empty.
#pragma once

#include <openssl/types.h>
#include <tessera/base/status.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::control {

// Takes ownership of `key` (may be null: an empty pointer).
std::shared_ptr<EVP_PKEY> ShareKey(EVP_PKEY* key);

// HMAC-SHA256(key, data): 32 bytes, or empty when OpenSSL fails.
std::string HmacSha256(std::string_view key, std::string_view data);

// Equal length and equal bytes; the time taken depends on the length only (CRYPTO_memcmp).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// ECDSA P-256 over SHA-256(data), as JOSE wants it (RFC 7518 3.4): R || S, 32 bytes each, big
// endian. Sign: nullopt when the key cannot sign. Verify: false for anything but exactly 64 bytes
// that verify.
std::optional<std::string> Es256Sign(EVP_PKEY* private_key, std::string_view data);
bool Es256Verify(EVP_PKEY* public_key, std::string_view data, std::string_view signature);

// A P-256 key pair, or null when OpenSSL fails.
std::shared_ptr<EVP_PKEY> GenerateP256Key();
// EC on the P-256 curve (prime256v1, secp256r1).
bool IsP256(EVP_PKEY* key);

// PEM ("-----BEGIN PUBLIC KEY-----" SubjectPublicKeyInfo; "PRIVATE KEY" PKCS#8 or the
// traditional "EC PRIVATE KEY"). Never asks for a passphrase: an encrypted key is an error.
// Errors: InvalidArgument with OpenSSL's reason.
StatusOr<std::shared_ptr<EVP_PKEY>> ReadPublicKeyPem(const std::string& pem);
StatusOr<std::shared_ptr<EVP_PKEY>> ReadPrivateKeyPem(const std::string& pem);
// Public key as SubjectPublicKeyInfo PEM, private key as unencrypted PKCS#8 PEM.
StatusOr<std::string> WritePublicKeyPem(EVP_PKEY* key);
StatusOr<std::string> WritePrivateKeyPem(EVP_PKEY* key);
// The public half only (for keys that must not carry their private part around).
StatusOr<std::shared_ptr<EVP_PKEY>> PublicHalf(EVP_PKEY* key);

// `n` bytes from OpenSSL's CSPRNG; nullopt when it fails.
std::optional<std::string> RandomBytes(size_t n);

}  // namespace tessera::control
