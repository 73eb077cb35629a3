#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <tessera/base/base64.h>
#include <tessera/recorder/key_ring.h>
#include <tessera/srtp/openssl_error.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "recorder/key_store_io.h"

namespace tessera::recorder {
namespace {

constexpr size_t kMaxKeyFileBytes = 1 << 20;
constexpr size_t kMaxKeyIdLength = 64;
constexpr size_t kWrapNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kWrappedBytes = kWrapNonceBytes + kKeyBytes + kTagBytes;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

bool ValidKeyId(std::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

SecretKey::SecretKey(std::span<const uint8_t, kKeyBytes> bytes) {
  std::memcpy(bytes_.data(), bytes.data(), kKeyBytes);
}

SecretKey::~SecretKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

StatusOr<SecretKey> SecretKey::Random() {
  SecretKey key;
  if (RAND_bytes(key.bytes_.data(), static_cast<int>(kKeyBytes)) != 1) {
    return InternalError("no random bytes for a key: " + srtp::TakeOpenSslError());
  }
  return key;
}

StatusOr<std::unique_ptr<LocalKeyRing>> LocalKeyRing::LoadFile(const std::string& path) {
  auto text = ReadSmallFile(path, kMaxKeyFileBytes, /*private_only=*/true);
  if (!text.ok()) return text.status();
  auto ring = Parse(*text);
  OPENSSL_cleanse(text->data(), text->size());
  if (!ring.ok()) return Status(ring.status().code(), path + ": " + ring.status().message());
  return ring;
}

StatusOr<std::unique_ptr<LocalKeyRing>> LocalKeyRing::Parse(std::string_view text) {
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return InvalidArgumentError(
        "not a recording key file (expected {\"active\":ID,\"keys\":{ID:BASE64,...}})");
  }
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() != "active" && it.key() != "keys") {
      return InvalidArgumentError("unknown field " + Quoted(it.key()) +
                                  " (expected \"active\" and \"keys\")");
    }
  }
  auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_object() || keys->empty()) {
    return InvalidArgumentError("\"keys\" missing, empty or not an object");
  }
  auto ring = std::make_unique<LocalKeyRing>();
  for (auto it = keys->begin(); it != keys->end(); ++it) {
    if (!ValidKeyId(it.key())) {
      return InvalidArgumentError("key id " + Quoted(it.key()) +
                                  " is not 1 to 64 characters of A-Z a-z 0-9 . _ -");
    }
    if (!it->is_string()) return InvalidArgumentError("key " + Quoted(it.key()) + ": not a string");
    auto raw = DecodeBase64(it->get_ref<const std::string&>(), 64);
    if (!raw || raw->size() != kKeyBytes) {
      if (raw) OPENSSL_cleanse(raw->data(), raw->size());
      return InvalidArgumentError("key " + Quoted(it.key()) +
                                  ": not the base64 of 32 bytes (make one with tessera-recorder "
                                  "keygen)");
    }
    const SecretKey key(std::span<const uint8_t, kKeyBytes>(raw->data(), kKeyBytes));
    OPENSSL_cleanse(raw->data(), raw->size());
    TESSERA_RETURN_IF_ERROR(ring->AddKey(it.key(), key));
  }
  auto active = doc.find("active");
  if (active == doc.end() || !active->is_string()) {
    return InvalidArgumentError("\"active\" missing or not a string");
  }
  TESSERA_RETURN_IF_ERROR(ring->SetActive(active->get<std::string>()));
  return ring;
}

Status LocalKeyRing::AddKey(const std::string& id, const SecretKey& key) {
  if (!ValidKeyId(id)) {
    return InvalidArgumentError("key id " + Quoted(id) +
                                " is not 1 to 64 characters of A-Z a-z 0-9 . _ -");
  }
  if (keys_.count(id)) {
    return Status(StatusCode::kAlreadyExists,
                  "a key-encryption key " + Quoted(id) +
                      " exists already; it is never replaced (recordings wrapped under it would "
                      "be lost): choose another id");
  }
  keys_.emplace(id, key);
  return Status::Ok();
}

Status LocalKeyRing::SetActive(const std::string& id) {
  if (!keys_.count(id)) {
    return NotFoundError("\"active\" names key " + Quoted(id) + ", which is not in \"keys\"");
  }
  active_ = id;
  return Status::Ok();
}

std::vector<std::string> LocalKeyRing::KeyIds() const {
  std::vector<std::string> ids;
  for (const auto& [id, key] : keys_) ids.push_back(id);
  return ids;
}

Status LocalKeyRing::Save(const std::string& path) const {
  if (active_.empty()) return FailedPreconditionError("no active key to save in " + path);
  nlohmann::json keys = nlohmann::json::object();
  for (const auto& [id, key] : keys_) keys[id] = EncodeBase64(key.bytes());
  nlohmann::json doc = {{"active", active_}, {"keys", std::move(keys)}};
  std::string text = doc.dump(2) + "\n";
  Status s = WriteFileAtomically(path, text, /*must_not_exist=*/false);
  OPENSSL_cleanse(text.data(), text.size());
  // The json object's copies of the base64 are freed unwiped: nlohmann offers no hook. They live
  // only in this short-lived keygen process.
  return s;
}

StatusOr<WrappedKey> LocalKeyRing::Wrap(const SecretKey& data_key,
                                        std::string_view recording_id) const {
  auto kek = keys_.find(active_);
  if (kek == keys_.end()) return FailedPreconditionError("the key ring has no active key");
  WrappedKey out{active_, std::vector<uint8_t>(kWrappedBytes)};
  uint8_t* nonce = out.bytes.data();
  uint8_t* ciphertext = nonce + kWrapNonceBytes;
  uint8_t* tag = ciphertext + kKeyBytes;
  // A random nonce per wrap: a KEK wraps far fewer than 2^32 keys in its life.
  if (RAND_bytes(nonce, kWrapNonceBytes) != 1) {
    return InternalError("no random bytes for a nonce: " + srtp::TakeOpenSslError());
  }
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  const bool ok = ctx &&
                  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                                     kek->second.bytes().data(), nonce) == 1 &&
                  EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(recording_id),
                                    static_cast<int>(recording_id.size())) == 1 &&
                  EVP_EncryptUpdate(ctx.get(), ciphertext, &len, data_key.bytes().data(),
                                    static_cast<int>(kKeyBytes)) == 1 &&
                  EVP_EncryptFinal_ex(ctx.get(), ciphertext + len, &final_len) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) == 1;
  if (!ok) return InternalError("AES-256-GCM key wrap failed: " + srtp::TakeOpenSslError());
  return out;
}

StatusOr<SecretKey> LocalKeyRing::Unwrap(const WrappedKey& wrapped,
                                         std::string_view recording_id) const {
  auto kek = keys_.find(wrapped.kek_id);
  if (kek == keys_.end()) {
    return NotFoundError("the key file has no key-encryption key " + Quoted(wrapped.kek_id) +
                         ", which wrapped the key of recording " + Quoted(recording_id) +
                         ": use the key file that holds it (keys are never removed on rotation)");
  }
  if (wrapped.bytes.size() != kWrappedBytes) {
    return InvalidArgumentError("the wrapped key of recording " + Quoted(recording_id) + " is " +
                                std::to_string(wrapped.bytes.size()) + " bytes, not " +
                                std::to_string(kWrappedBytes));
  }
  const uint8_t* nonce = wrapped.bytes.data();
  const uint8_t* ciphertext = nonce + kWrapNonceBytes;
  const uint8_t* tag = ciphertext + kKeyBytes;
  SecretKey out;
  uint8_t* plain = out.mutable_bytes().data();
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  const bool ok =
      ctx &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, kek->second.bytes().data(),
                         nonce) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(recording_id),
                        static_cast<int>(recording_id.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), plain, &len, ciphertext, static_cast<int>(kKeyBytes)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, const_cast<uint8_t*>(tag)) ==
          1 &&
      EVP_DecryptFinal_ex(ctx.get(), plain + len, &final_len) == 1;
  if (!ok) {
    srtp::TakeOpenSslError();
    OPENSSL_cleanse(plain, kKeyBytes);
    return PermissionDeniedError(
        "the wrapped key of recording " + Quoted(recording_id) +
        " does not open with key-encryption key " + Quoted(wrapped.kek_id) +
        ": the key file's key of that id is not the one that wrapped it, or the key store entry "
        "was changed");
  }
  return out;
}

}  // namespace tessera::recorder
