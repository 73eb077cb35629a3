// Where a webhook's events go and how they are signed: its URL, its secret, the HMAC.
#include "control/webhook_target.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "control/jwt_crypto.h"

namespace tessera::control {
namespace {

constexpr size_t kMaxSecretBytes = 64 * 1024;

}  // namespace

// The file's bytes without trailing newlines: the HMAC key.
StatusOr<std::string> ReadSecret(const std::string& path, const std::string& key) {
  if (path.empty()) return InvalidArgumentError(key + " is not set");
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return InvalidArgumentError(key + " '" + path + "' cannot be opened: " + std::strerror(errno));
  }
  std::string secret;
  std::array<char, 4096> chunk{};
  size_t n = 0;
  while (secret.size() <= kMaxSecretBytes &&
         (n = std::fread(chunk.data(), 1, chunk.size(), file)) > 0) {
    secret.append(chunk.data(), n);
  }
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return InvalidArgumentError(key + " '" + path + "' cannot be read");
  if (secret.size() > kMaxSecretBytes) {
    return InvalidArgumentError(key + " '" + path +
                                "' is larger than 64 KiB: it should hold the key only");
  }
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) return InvalidArgumentError(key + " '" + path + "' is empty");
  return secret;
}

std::string HmacSha256Hex(const std::string& key, const std::string& body) {
  const std::string mac = HmacSha256(key, body);  // the JWT verifier's HMAC
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * mac.size());
  for (const char byte : mac) {
    const auto b = static_cast<unsigned char>(byte);
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 0x0f]);
  }
  return hex;
}

}  // namespace tessera::control
