#include <gtest/gtest.h>
#include <tessera/base/base64.h>

#include <cstdint>
#include <vector>

namespace tessera {
namespace {

TEST(Base64, DecodesWithOrWithoutPadding) {
  EXPECT_EQ(DecodeBase64("aGk=", 16), (std::vector<uint8_t>{'h', 'i'}));
  EXPECT_EQ(DecodeBase64("aGk", 16), (std::vector<uint8_t>{'h', 'i'}));
  EXPECT_EQ(DecodeBase64("aGlt", 16), (std::vector<uint8_t>{'h', 'i', 'm'}));
}

TEST(Base64, RefusesWhatOpenSslWouldSkipOrMisread) {
  EXPECT_FALSE(DecodeBase64("", 16));
  EXPECT_FALSE(DecodeBase64("aGk ", 16));   // a blank
  EXPECT_FALSE(DecodeBase64("aG-t", 16));   // the URL-safe alphabet
  EXPECT_FALSE(DecodeBase64("aGk==", 16));  // padding that does not fit
  EXPECT_FALSE(DecodeBase64("a", 16));      // a lone sextet
  EXPECT_FALSE(DecodeBase64("aGlt", 3));    // longer than allowed
}

TEST(Base64, EncodesWhatDecodesBack) {
  const std::vector<uint8_t> bytes = {0, 1, 2, 0xfe, 0xff};
  EXPECT_EQ(EncodeBase64(bytes), "AAEC/v8=");
  EXPECT_EQ(DecodeBase64(EncodeBase64(bytes), 64), bytes);
}

}  // namespace
}  // namespace tessera
