#include "control/base64url.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace tessera::control {
namespace {

TEST(Base64Url, EncodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode(std::string_view("")), "");
  EXPECT_EQ(Base64UrlEncode(std::string_view("f")), "Zg");
  EXPECT_EQ(Base64UrlEncode(std::string_view("fo")), "Zm8");
  EXPECT_EQ(Base64UrlEncode(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(Base64UrlEncode(std::string_view("foob")), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode(std::string_view("fooba")), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode(std::string_view("foobar")), "Zm9vYmFy");
}

TEST(Base64Url, UsesTheUrlAlphabet) {
  const std::vector<uint8_t> bytes = {0xfb, 0xff};
  EXPECT_EQ(Base64UrlEncode(bytes), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8"), std::string("\xfb\xff"));
}

TEST(Base64Url, DecodesWhatItEncodes) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 37) {
    const std::string bytes = all.substr(0, n);
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(bytes)), bytes) << n;
  }
  EXPECT_EQ(Base64UrlDecode(""), std::string());
}

TEST(Base64Url, RefusesEverythingButOneCanonicalSpelling) {
  EXPECT_FALSE(Base64UrlDecode("Zg=="));   // padding
  EXPECT_FALSE(Base64UrlDecode("Z"));      // 6 bits: not a byte
  EXPECT_FALSE(Base64UrlDecode("Zm9vY"));  // the same, after whole groups
  EXPECT_FALSE(Base64UrlDecode("Zm+v"));   // standard base64's alphabet
  EXPECT_FALSE(Base64UrlDecode("Zm/v"));
  EXPECT_FALSE(Base64UrlDecode("Zm 9v"));  // whitespace
  EXPECT_FALSE(Base64UrlDecode("Zm9v\n"));
  EXPECT_FALSE(Base64UrlDecode(std::string_view("Zm\0v", 4)));
  EXPECT_FALSE(Base64UrlDecode("Zh"));   // "Zg" with a non-zero pad bit
  EXPECT_FALSE(Base64UrlDecode("Zm9"));  // "Zm8" with a non-zero pad bit
}

}  // namespace
}  // namespace tessera::control
