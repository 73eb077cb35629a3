#include "mixer/utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tessera::mixer {
namespace {

std::vector<char32_t> Decode(std::string_view s) { return DecodeUtf8(s, 1000).code_points; }

constexpr char32_t kR = kReplacementChar;

TEST(DecodeUtf8, DecodesAsciiAndMultiByteCharacters) {
  EXPECT_EQ(Decode("Al"), (std::vector<char32_t>{U'A', U'l'}));
  EXPECT_EQ(Decode("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
            (std::vector<char32_t>{0xE9, 0x20AC, 0x1F600}));
  EXPECT_TRUE(Decode("").empty());
}

TEST(DecodeUtf8, ReplacesEachIllFormedSubsequenceOnce) {
  EXPECT_EQ(Decode("\xe2\x82"), (std::vector<char32_t>{kR}));  // truncated
  EXPECT_EQ(Decode("\xe2\x82"
                   "A"),
            (std::vector<char32_t>{kR, U'A'}));  // truncated, then ASCII
  EXPECT_EQ(Decode("A\x80"
                   "B"),
            (std::vector<char32_t>{U'A', kR, U'B'}));                      // stray continuation
  EXPECT_EQ(Decode("\xc0\xaf"), (std::vector<char32_t>{kR, kR}));          // overlong '/'
  EXPECT_EQ(Decode("\xe0\x80\xaf"), (std::vector<char32_t>{kR, kR, kR}));  // overlong, 3 bytes
  EXPECT_EQ(Decode("\xed\xa0\x80"), (std::vector<char32_t>{kR, kR, kR}));  // surrogate D800
  EXPECT_EQ(Decode("\xf4\x90\x80\x80"), (std::vector<char32_t>{kR, kR, kR, kR}));  // > U+10FFFF
  EXPECT_EQ(Decode("\xff\xfe"), (std::vector<char32_t>{kR, kR}));
}

TEST(DecodeUtf8, DropsControlCharacters) {
  EXPECT_EQ(Decode("a\nb\x7f\t\xc2\x85"
                   "c"),
            (std::vector<char32_t>{U'a', U'b', U'c'}));
}

TEST(DecodeUtf8, StopsAtTheLimitAndSaysSo) {
  const DecodedText cut = DecodeUtf8("abcdef", 4);
  EXPECT_EQ(cut.code_points, (std::vector<char32_t>{U'a', U'b', U'c', U'd'}));
  EXPECT_TRUE(cut.truncated);
  const DecodedText whole = DecodeUtf8("abcd", 4);
  EXPECT_EQ(whole.code_points.size(), 4u);
  EXPECT_FALSE(whole.truncated);
}

}  // namespace
}  // namespace tessera::mixer
