#include <tessera/srtp/srtp_suite.h>

namespace tessera::srtp {
namespace {

constexpr size_t kAes128KeyLength = 16;
constexpr size_t kAesCmSaltLength = 14;
constexpr size_t kGcmSaltLength = 12;
constexpr size_t kSrtcpIndexLength = 4;

}  // namespace

std::string_view SrtpSuiteName(SrtpSuite suite) {
  switch (suite) {
    case SrtpSuite::kAesCm128HmacSha1_80:
      return "AES_CM_128_HMAC_SHA1_80";
    case SrtpSuite::kAesCm128HmacSha1_32:
      return "AES_CM_128_HMAC_SHA1_32";
    case SrtpSuite::kAeadAes128Gcm:
      return "AEAD_AES_128_GCM";
  }
  return "UNKNOWN";
}

std::optional<SrtpSuite> SrtpSuiteFromName(std::string_view name) {
  for (SrtpSuite suite : {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAesCm128HmacSha1_32,
                          SrtpSuite::kAeadAes128Gcm}) {
    if (name == SrtpSuiteName(suite)) return suite;
  }
  return std::nullopt;
}

size_t MasterKeyLength(SrtpSuite) { return kAes128KeyLength; }

size_t MasterSaltLength(SrtpSuite suite) {
  return suite == SrtpSuite::kAeadAes128Gcm ? kGcmSaltLength : kAesCmSaltLength;
}

size_t KeyAndSaltLength(SrtpSuite suite) {
  return MasterKeyLength(suite) + MasterSaltLength(suite);
}

size_t SrtpTagLength(SrtpSuite suite) {
  switch (suite) {
    case SrtpSuite::kAesCm128HmacSha1_80:
      return 10;
    case SrtpSuite::kAesCm128HmacSha1_32:
      return 4;
    case SrtpSuite::kAeadAes128Gcm:
      return 16;
  }
  return 16;
}

size_t SrtcpTrailerLength(SrtpSuite suite) {
  const size_t tag = suite == SrtpSuite::kAeadAes128Gcm ? 16 : 10;
  return kSrtcpIndexLength + tag;
}

}  // namespace tessera::srtp
