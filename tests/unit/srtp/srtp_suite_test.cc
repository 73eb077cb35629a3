#include <gtest/gtest.h>
#include <tessera/srtp/srtp_suite.h>

namespace tessera::srtp {
namespace {

TEST(SrtpSuite, NamesRoundTripThroughSdpNames) {
  EXPECT_EQ(SrtpSuiteName(SrtpSuite::kAesCm128HmacSha1_80), "AES_CM_128_HMAC_SHA1_80");
  EXPECT_EQ(SrtpSuiteName(SrtpSuite::kAesCm128HmacSha1_32), "AES_CM_128_HMAC_SHA1_32");
  EXPECT_EQ(SrtpSuiteName(SrtpSuite::kAeadAes128Gcm), "AEAD_AES_128_GCM");
  for (SrtpSuite suite : {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAesCm128HmacSha1_32,
                          SrtpSuite::kAeadAes128Gcm}) {
    EXPECT_EQ(SrtpSuiteFromName(SrtpSuiteName(suite)), suite);
  }
}

TEST(SrtpSuite, UnknownOrMiscasedNamesAreNotSuites) {
  EXPECT_FALSE(SrtpSuiteFromName("F8_128_HMAC_SHA1_80").has_value());
  EXPECT_FALSE(SrtpSuiteFromName("AEAD_AES_256_GCM").has_value());
  EXPECT_FALSE(SrtpSuiteFromName("aes_cm_128_hmac_sha1_80").has_value());
  EXPECT_FALSE(SrtpSuiteFromName("").has_value());
}

TEST(SrtpSuite, KeyLengthsFollowRfc3711AndRfc7714) {
  EXPECT_EQ(KeyAndSaltLength(SrtpSuite::kAesCm128HmacSha1_80), 30u);
  EXPECT_EQ(KeyAndSaltLength(SrtpSuite::kAesCm128HmacSha1_32), 30u);
  EXPECT_EQ(KeyAndSaltLength(SrtpSuite::kAeadAes128Gcm), 28u);
  EXPECT_EQ(MasterKeyLength(SrtpSuite::kAeadAes128Gcm), 16u);
  EXPECT_EQ(MasterSaltLength(SrtpSuite::kAesCm128HmacSha1_80), 14u);
  EXPECT_EQ(MasterSaltLength(SrtpSuite::kAeadAes128Gcm), 12u);
}

TEST(SrtpSuite, TrailerLengths) {
  EXPECT_EQ(SrtpTagLength(SrtpSuite::kAesCm128HmacSha1_80), 10u);
  EXPECT_EQ(SrtpTagLength(SrtpSuite::kAesCm128HmacSha1_32), 4u);
  EXPECT_EQ(SrtpTagLength(SrtpSuite::kAeadAes128Gcm), 16u);
  EXPECT_EQ(SrtcpTrailerLength(SrtpSuite::kAesCm128HmacSha1_80), 14u);
  EXPECT_EQ(SrtcpTrailerLength(SrtpSuite::kAesCm128HmacSha1_32), 14u);
  EXPECT_EQ(SrtcpTrailerLength(SrtpSuite::kAeadAes128Gcm), 20u);
}

}  // namespace
}  // namespace tessera::srtp
