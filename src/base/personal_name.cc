#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <tessera/base/personal_name.h>

#include <array>
#include <mutex>

namespace tessera {
namespace {

// Set once at start and read on every join and leave: a mutex costs nothing at that rate.
std::mutex& SaltMutex() {
  static std::mutex mu;
  return mu;
}
std::string& Salt() {
  static std::string salt;
  return salt;
}

}  // namespace

bool SetPersonalNameSalt(std::string_view salt) {
  if (!salt.empty() && salt.size() < 16) return false;
  std::lock_guard lock(SaltMutex());
  std::string& current = Salt();
  OPENSSL_cleanse(current.data(), current.size());
  current.assign(salt);
  return true;
}

std::string PersonalName(std::string_view name) {
  std::array<unsigned char, 32> md{};
  {
    std::lock_guard lock(SaltMutex());
    const std::string& salt = Salt();
    if (salt.empty()) return std::string(name);
    unsigned int len = 0;
    HMAC(EVP_sha256(), salt.data(), static_cast<int>(salt.size()),
         reinterpret_cast<const unsigned char*>(name.data()), name.size(), md.data(), &len);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "h:";
  for (size_t i = 0; i < 6; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0x0f]);
  }
  return out;
}

}  // namespace tessera
