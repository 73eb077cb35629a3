#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <tessera/webrtc/turn_credentials.h>

#include <fstream>

namespace tessera::webrtc {

TurnCredential MakeTurnCredential(std::string_view secret, std::string_view id, int64_t now_s,
                                  int ttl_s) {
  TurnCredential c;
  c.username = std::to_string(now_s + ttl_s) + ":" + std::string(id);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(c.username.data()), c.username.size(), md, &md_len);
  // Standard base64 with padding, as coturn compares it.
  std::string b64(4 * ((md_len + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), md, static_cast<int>(md_len));
  b64.resize(static_cast<size_t>(n));
  c.password = std::move(b64);
  return c;
}

StatusOr<std::string> ReadTurnSecret(const std::string& file) {
  std::ifstream f(file);
  std::string secret;
  if (f) std::getline(f, secret);
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) {
    return InvalidArgumentError("webrtc.turn.secret_file: cannot read a secret from " + file);
  }
  return secret;
}

}  // namespace tessera::webrtc
