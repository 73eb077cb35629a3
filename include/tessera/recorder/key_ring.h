// Key-encryption keys (KEKs) for recordings, and the seam where a KMS plugs in.
//
// Each recording has its own random data key (key_store.h). That key never lies on disk in the
// clear: it is wrapped (AES-256-GCM) under a KEK, here one of the operator's keys from a key file
// (LocalKeyRing), and the wrapped form is what the key store keeps. KeyWrapper is the interface a
// KMS client (AWS KMS, Vault transit, an HSM) implements instead: the recorder then never sees a
// KEK at all. See docs/security.md, "Recordings at rest".
//
// The key file, written by `tessera-recorder keygen` and refused when group or others may read it:
//   {"active":"2026-12","keys":{"2026-12":"<base64 of 32 bytes>","2026-06":"<...>"}}
#pragma once

#include <tessera/base/status.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::recorder {

inline constexpr size_t kKeyBytes = 32;  // AES-256: data keys and KEKs alike

// 32 bytes of key material, wiped (OPENSSL_cleanse) when destroyed or overwritten by a move.
// Copyable on purpose (a reader and a writer may each hold one), every copy wiped the same way.
class SecretKey {
 public:
  SecretKey() { bytes_.fill(0); }
  explicit SecretKey(std::span<const uint8_t, kKeyBytes> bytes);
  SecretKey(const SecretKey& other) = default;
  SecretKey& operator=(const SecretKey& other) = default;
  ~SecretKey();

  // A new key from OpenSSL's CSPRNG.
  static StatusOr<SecretKey> Random();

  std::span<const uint8_t, kKeyBytes> bytes() const { return bytes_; }
  // For filling in place (an unwrap), so no unwiped copy is made.
  std::span<uint8_t, kKeyBytes> mutable_bytes() { return bytes_; }

 private:
  std::array<uint8_t, kKeyBytes> bytes_;
};

// A data key as the key store keeps it. For LocalKeyRing `bytes` is
// 12-byte nonce || ciphertext (32) || GCM tag (16); a KMS wrapper puts whatever its service
// returns there (its own ciphertext blob), as long as its Unwrap takes it back.
struct WrappedKey {
  std::string kek_id;          // which KEK wrapped it: unwrapping needs that one
  std::vector<uint8_t> bytes;  // opaque to everything but the wrapper
};

// The KMS hook. Wrap binds the wrapped key to the recording id (AES-GCM additional data for
// LocalKeyRing, an encryption context for a KMS): a wrapped key copied into another recording's
// entry does not unwrap there.
// Runs on: any thread; implementations are safe for concurrent calls.
class KeyWrapper {
 public:
  virtual ~KeyWrapper() = default;

  // The id of the KEK new wraps use.
  virtual std::string ActiveKeyId() const = 0;

  // `data_key` wrapped under the active KEK.
  virtual StatusOr<WrappedKey> Wrap(const SecretKey& data_key,
                                    std::string_view recording_id) const = 0;

  // The data key back. Errors name the KEK id and say whether the KEK is missing
  // (kNotFound) or does not open the wrapped key (kPermissionDenied: another key under the same id,
  // or a changed entry).
  virtual StatusOr<SecretKey> Unwrap(const WrappedKey& wrapped,
                                     std::string_view recording_id) const = 0;
};

// The operator's KEKs, from the key file. Immutable once loaded, so Wrap/Unwrap are safe from any
// thread; AddKey/SetActive/Save are for `tessera-recorder keygen` (one thread, before sharing).
class LocalKeyRing : public KeyWrapper {
 public:
  LocalKeyRing() = default;

  // Reads and checks the key file: a regular file that group and others cannot read or write
  // (kPermissionDenied otherwise, with the chmod to run), valid JSON, every key 32 bytes of
  // base64, "active" one of them.
  static StatusOr<std::unique_ptr<LocalKeyRing>> LoadFile(const std::string& path);
  // The same checks on the file's text, without the permission check (tests, the fuzzer).
  static StatusOr<std::unique_ptr<LocalKeyRing>> Parse(std::string_view text);

  // Adds a KEK. kAlreadyExists when the id is taken: a KEK is never replaced, recordings wrapped
  // under it would be lost. Ids: 1 to 64 characters of [A-Za-z0-9._-].
  Status AddKey(const std::string& id, const SecretKey& key);
  // Makes `id` the KEK new recordings (and Rewrap) use.
  Status SetActive(const std::string& id);
  bool HasKey(const std::string& id) const { return keys_.count(id) != 0; }
  std::vector<std::string> KeyIds() const;

  // Writes the key file atomically (temporary file, fsync, rename), mode 0600.
  Status Save(const std::string& path) const;

  std::string ActiveKeyId() const override { return active_; }
  StatusOr<WrappedKey> Wrap(const SecretKey& data_key,
                            std::string_view recording_id) const override;
  StatusOr<SecretKey> Unwrap(const WrappedKey& wrapped,
                             std::string_view recording_id) const override;

 private:
  std::map<std::string, SecretKey> keys_;  // SecretKey wipes itself
  std::string active_;
};

// True for a KEK id the key file accepts.
bool ValidKeyId(std::string_view id);

}  // namespace tessera::recorder
