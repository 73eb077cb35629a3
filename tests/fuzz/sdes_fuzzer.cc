// ParseSdesCrypto and ParseInlineKey on arbitrary text. Besides not crashing, every key that parses
// must have its suite's length and survive FormatSdesCrypto -> ParseSdesCrypto unchanged.
#include <tessera/srtp/sdes.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using tessera::srtp::SdesKey;
using tessera::srtp::SrtpSuite;

void CheckKey(const SdesKey& key) {
  if (key.key.size() != tessera::srtp::KeyAndSaltLength(key.suite)) abort();
  auto again =
      tessera::srtp::ParseSdesCrypto(tessera::srtp::FormatSdesCrypto(key.tag, key.suite, key.key));
  if (!again.ok() || again->key != key.key || again->suite != key.suite || again->tag != key.tag) {
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto key = tessera::srtp::ParseSdesCrypto(text);
  if (key.ok()) CheckKey(*key);
  for (SrtpSuite suite : {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAesCm128HmacSha1_32,
                          SrtpSuite::kAeadAes128Gcm}) {
    auto inline_key = tessera::srtp::ParseInlineKey(suite, text);
    if (inline_key.ok()) CheckKey(*inline_key);
  }
  return 0;
}
