#include <openssl/err.h>
#include <tessera/srtp/openssl_error.h>

namespace tessera::srtp {

std::string TakeOpenSslError() {
  const unsigned long code = ERR_get_error();
  std::string text = "unknown OpenSSL error";
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    text = buf;
  }
  ERR_clear_error();
  return text;
}

}  // namespace tessera::srtp
