#include <gtest/gtest.h>
#include <tessera/rtp/rtcp/bye.h>

#include <vector>

namespace tessera::rtp {
namespace {

TEST(Bye, SerializesSsrcsAndPaddedReason) {
  Bye bye{{0x01020304, 0x05060708}, "gone"};
  std::vector<uint8_t> out;
  bye.Serialize(out);
  const std::vector<uint8_t> expected = {
      0x82, 203,  0x00, 0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
      0x07, 0x08, 0x04, 'g',  'o',  'n',  'e',  0x00, 0x00, 0x00,
  };
  EXPECT_EQ(out, expected);
  auto parsed = Bye::Parse(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, bye);
}

TEST(Bye, RoundTripsWithoutReason) {
  Bye bye{{42}, ""};
  std::vector<uint8_t> out;
  bye.Serialize(out);
  EXPECT_EQ(out.size(), 8u);
  auto parsed = Bye::Parse(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, bye);
}

TEST(Bye, RejectsMissingSsrcsAndOverlongReason) {
  const std::vector<uint8_t> short_ssrcs = {0x82, 203, 0x00, 0x01, 0, 0, 0, 1};
  EXPECT_FALSE(Bye::Parse(short_ssrcs));
  const std::vector<uint8_t> long_reason = {0x81, 203, 0x00, 0x02, 0, 0, 0, 1, 0x09, 'a', 'b', 0};
  EXPECT_FALSE(Bye::Parse(long_reason));
}

}  // namespace
}  // namespace tessera::rtp
