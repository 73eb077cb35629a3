#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tessera/srtp/sdes.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::srtp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The key of the example in RFC 4568 section 4, decoded independently of the code under test.
const std::vector<uint8_t> kRfcExampleKey = {
    0x3d, 0x2d, 0x6e, 0x40, 0x25, 0x5e, 0x78, 0x21, 0x42, 0x6a, 0x75, 0x66, 0x72, 0x39, 0x29,
    0x3f, 0x2c, 0x23, 0x35, 0x68, 0x5c, 0x60, 0x3d, 0x26, 0x5d, 0x7b, 0x71, 0x69, 0x50, 0x51};
constexpr char kRfcExampleBase64[] = "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";

// Bytes 1..28 and their base64, for the 28-byte GCM key||salt.
std::vector<uint8_t> GcmKey() {
  std::vector<uint8_t> key;
  for (uint8_t i = 1; i <= 28; ++i) key.push_back(i);
  return key;
}
constexpr char kGcmKeyBase64[] = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA==";

std::string ErrorOf(std::string_view line) {
  StatusOr<SdesKey> key = ParseSdesCrypto(line);
  EXPECT_FALSE(key.ok()) << "accepted: " << line;
  EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
  return key.status().message();
}

TEST(ParseSdesCrypto, ParsesRfc4568ExampleLine) {
  StatusOr<SdesKey> key = ParseSdesCrypto(
      "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->tag, 1u);
  EXPECT_EQ(key->suite, SrtpSuite::kAesCm128HmacSha1_80);
  EXPECT_EQ(key->key, kRfcExampleKey);
  ASSERT_TRUE(key->lifetime.has_value());
  EXPECT_EQ(*key->lifetime, uint64_t{1} << 20);
  ASSERT_TRUE(key->mki.has_value());
  EXPECT_EQ(key->mki->value, 1u);
  EXPECT_EQ(key->mki->length, 32);
  EXPECT_TRUE(key->session_params.empty());
}

TEST(ParseSdesCrypto, ToleratesAttributePrefixAndLineEnding) {
  StatusOr<SdesKey> key = ParseSdesCrypto(
      "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->tag, 7u);
  EXPECT_EQ(key->suite, SrtpSuite::kAesCm128HmacSha1_32);
  EXPECT_EQ(key->key, kRfcExampleKey);
  EXPECT_FALSE(key->lifetime.has_value());
  EXPECT_FALSE(key->mki.has_value());
}

TEST(ParseSdesCrypto, KeepsSessionParametersInOrder) {
  StatusOr<SdesKey> key = ParseSdesCrypto(
      "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4 "
      "FEC_ORDER=FEC_SRTP  WSH=64");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->mki->length, 4);
  EXPECT_THAT(key->session_params, ElementsAre("FEC_ORDER=FEC_SRTP", "WSH=64"));
}

TEST(ParseSdesCrypto, AcceptsDecimalLifetime) {
  StatusOr<SdesKey> key = ParseSdesCrypto(
      "3 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1000");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(*key->lifetime, 1000u);
}

TEST(ParseSdesCrypto, ParsesGcmKeyWithAndWithoutPadding) {
  const std::string padded = std::string("1 AEAD_AES_128_GCM inline:") + kGcmKeyBase64;
  StatusOr<SdesKey> key = ParseSdesCrypto(padded);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->suite, SrtpSuite::kAeadAes128Gcm);
  EXPECT_EQ(key->key, GcmKey());

  const std::string unpadded = padded.substr(0, padded.size() - 2);
  StatusOr<SdesKey> same = ParseSdesCrypto(unpadded);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->key, GcmKey());
}

TEST(ParseSdesCrypto, RejectsUnknownSuite) {
  EXPECT_THAT(
      ErrorOf("2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4"),
      HasSubstr("unknown crypto suite 'F8_128_HMAC_SHA1_80'"));
  // Suite names are case-sensitive.
  EXPECT_THAT(ErrorOf("1 aes_cm_128_hmac_sha1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"),
              HasSubstr("unknown crypto suite"));
}

TEST(ParseSdesCrypto, RejectsBadBase64) {
  const std::string prefix = "1 AES_CM_128_HMAC_SHA1_80 inline:";
  for (const char* bad : {
           "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!",     // Character outside the alphabet.
           "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBRx",    // 41 characters: a lone sextet.
           "PS1uQCVeeCFCanVm=jkpPywjNWhcYD0mXXtxaVBR",     // '=' in the middle.
           "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR===",  // Too much padding.
           "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR==",   // Padding after a full group.
           "PS1uQCVeeCFCanVmcjkp-ywjNWhcYD0mXXtxaVBR",     // URL-safe alphabet is not base64.
       }) {
    EXPECT_THAT(ErrorOf(prefix + bad), HasSubstr("not valid base64")) << bad;
  }
  EXPECT_THAT(ErrorOf(prefix), HasSubstr("empty key"));
}

TEST(ParseSdesCrypto, RejectsWrongKeyLength) {
  // 29 bytes for a 30-byte suite.
  EXPECT_THAT(ErrorOf("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVA="),
              HasSubstr("must be 30 bytes (master key 16 + salt 14), got 29"));
  // A 30-byte AES-CM key offered for GCM, which needs 28.
  EXPECT_THAT(ErrorOf("1 AEAD_AES_128_GCM inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"),
              HasSubstr("AEAD_AES_128_GCM must be 28 bytes (master key 16 + salt 12), got 30"));
}

TEST(ParseSdesCrypto, RejectsSeveralKeysInOneLine) {
  EXPECT_THAT(
      ErrorOf("1 AES_CM_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|1:4;"
              "inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP"),
      HasSubstr("several keys"));
}

TEST(ParseSdesCrypto, RejectsOtherKeyMethods) {
  EXPECT_THAT(ErrorOf("1 AES_CM_128_HMAC_SHA1_80 uri:https://example.com/key"),
              HasSubstr("key method must be 'inline', got 'uri'"));
}

TEST(ParseSdesCrypto, RejectsMalformedTagOrMissingFields) {
  EXPECT_THAT(ErrorOf("x AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"),
              HasSubstr("tag"));
  EXPECT_THAT(
      ErrorOf("1234567890 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"),
      HasSubstr("tag"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("tag"));
  EXPECT_THAT(ErrorOf("1"), HasSubstr("missing crypto suite"));
  EXPECT_THAT(ErrorOf("1 AES_CM_128_HMAC_SHA1_80"), HasSubstr("missing key parameters"));
}

TEST(ParseSdesCrypto, RejectsMalformedLifetimeAndMki) {
  const std::string key =
      "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
  EXPECT_THAT(ErrorOf(key + "|2^64"), HasSubstr("bad key lifetime"));
  EXPECT_THAT(ErrorOf(key + "|0"), HasSubstr("bad key lifetime"));
  EXPECT_THAT(ErrorOf(key + "|"), HasSubstr("bad key lifetime"));
  EXPECT_THAT(ErrorOf(key + "|2^20|2^20"), HasSubstr("unexpected key parameter"));
  EXPECT_THAT(ErrorOf(key + "|1:4|2^20"), HasSubstr("unexpected key parameter"));
  EXPECT_THAT(ErrorOf(key + "|1:0"), HasSubstr("bad MKI"));
  EXPECT_THAT(ErrorOf(key + "|1:129"), HasSubstr("bad MKI"));
  EXPECT_THAT(ErrorOf(key + "|:4"), HasSubstr("bad MKI"));
  EXPECT_THAT(ErrorOf(key + "|256:1"), HasSubstr("does not fit in 1 bytes"));
  EXPECT_THAT(ErrorOf(key + "|1:4|2:4"), HasSubstr("more than one MKI"));
}

TEST(ParseInlineKey, AcceptsInlinePrefixOrBareBase64) {
  for (std::string text :
       {std::string("inline:") + kRfcExampleBase64, std::string(kRfcExampleBase64),
        std::string("  ") + kRfcExampleBase64 + "\n"}) {
    StatusOr<SdesKey> key = ParseInlineKey(SrtpSuite::kAesCm128HmacSha1_80, text);
    ASSERT_TRUE(key.ok()) << text << ": " << key.status().ToString();
    EXPECT_EQ(key->key, kRfcExampleKey);
    EXPECT_EQ(key->tag, 0u);
    EXPECT_EQ(key->suite, SrtpSuite::kAesCm128HmacSha1_80);
  }
}

TEST(ParseInlineKey, ChecksLengthAgainstTheGivenSuite) {
  StatusOr<SdesKey> gcm = ParseInlineKey(SrtpSuite::kAeadAes128Gcm, kGcmKeyBase64);
  ASSERT_TRUE(gcm.ok()) << gcm.status().ToString();
  EXPECT_EQ(gcm->key, GcmKey());

  StatusOr<SdesKey> wrong = ParseInlineKey(SrtpSuite::kAesCm128HmacSha1_80, kGcmKeyBase64);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("must be 30 bytes"));
}

TEST(ParseInlineKey, RejectsWhitespaceInsideTheKey) {
  StatusOr<SdesKey> key =
      ParseInlineKey(SrtpSuite::kAesCm128HmacSha1_80, "PS1uQCVeeCFCanVmcjkp PywjNWhcYD0mXXtxaVBR");
  ASSERT_FALSE(key.ok());
  EXPECT_THAT(key.status().message(), HasSubstr("whitespace"));
}

TEST(FormatSdesCrypto, FormatsTheRfcExampleKey) {
  EXPECT_EQ(FormatSdesCrypto(1, SrtpSuite::kAesCm128HmacSha1_80, kRfcExampleKey),
            std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + kRfcExampleBase64);
  EXPECT_EQ(FormatSdesCrypto(2, SrtpSuite::kAeadAes128Gcm, GcmKey()),
            std::string("2 AEAD_AES_128_GCM inline:") + kGcmKeyBase64);
}

TEST(FormatSdesCrypto, RefusesKeyOfWrongLength) {
  EXPECT_EQ(FormatSdesCrypto(1, SrtpSuite::kAeadAes128Gcm, kRfcExampleKey), "");
}

TEST(GenerateSrtpKey, MakesFreshKeysThatRoundTripThroughSdes) {
  for (SrtpSuite suite : {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAesCm128HmacSha1_32,
                          SrtpSuite::kAeadAes128Gcm}) {
    StatusOr<std::vector<uint8_t>> a = GenerateSrtpKey(suite);
    StatusOr<std::vector<uint8_t>> b = GenerateSrtpKey(suite);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->size(), KeyAndSaltLength(suite));
    EXPECT_NE(*a, *b);

    StatusOr<SdesKey> parsed = ParseSdesCrypto(FormatSdesCrypto(42, suite, *a));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->tag, 42u);
    EXPECT_EQ(parsed->suite, suite);
    EXPECT_EQ(parsed->key, *a);
  }
}

}  // namespace
}  // namespace tessera::srtp
