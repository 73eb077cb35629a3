#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <tessera/base/base64.h>

namespace tessera {
namespace {

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

// The alphabet and padding are checked here because EVP_DecodeBlock silently skips some
// characters (trailing whitespace, '-').
std::optional<std::vector<uint8_t>> DecodeBase64(std::string_view text, size_t max_length) {
  if (text.empty() || text.size() > max_length) return std::nullopt;
  size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  if (padding > 2) return std::nullopt;
  const std::string_view body = text.substr(0, text.size() - padding);
  for (char c : body) {
    if (!IsBase64Char(c)) return std::nullopt;
  }
  const size_t tail = body.size() % 4;
  if (tail == 1) return std::nullopt;  // A lone sextet cannot encode a byte.
  const size_t missing = (4 - tail) % 4;
  if (padding != 0 && padding != missing) return std::nullopt;

  // EVP_DecodeBlock wants whole 4-character groups and counts padding as zero bytes.
  std::string padded;
  padded.reserve(body.size() + missing);  // one buffer: no copy of key material left unwiped
  padded.append(body);
  padded.append(missing, '=');
  std::vector<uint8_t> out(padded.size() / 4 * 3);
  const int decoded = EVP_DecodeBlock(out.data(), reinterpret_cast<const uint8_t*>(padded.data()),
                                      static_cast<int>(padded.size()));
  OPENSSL_cleanse(padded.data(), padded.size());
  if (decoded < 0 || static_cast<size_t>(decoded) < missing) {
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  out.resize(static_cast<size_t>(decoded) - missing);
  return out;
}

std::string EncodeBase64(std::span<const uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // +1: EVP_EncodeBlock writes a NUL.
  const int n = EVP_EncodeBlock(reinterpret_cast<uint8_t*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

}  // namespace tessera
