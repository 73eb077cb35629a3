#include <gtest/gtest.h>
#include <tessera/base/percent.h>

namespace tessera {
namespace {

TEST(Percent, DecodesEscapesAndRefusesBrokenOnes) {
  EXPECT_EQ(PercentDecode("%41b%2Fc"), "Ab/c");
  EXPECT_FALSE(PercentDecode("%4"));
  EXPECT_FALSE(PercentDecode("%zz"));
}

TEST(Percent, EncodesAPathSegmentThatDecodesBackToItself) {
  EXPECT_EQ(PercentEncodeSegment("room-1_a.b~"), "room-1_a.b~");
  EXPECT_EQ(PercentEncodeSegment("a b/c?d"), "a%20b%2Fc%3Fd");
  EXPECT_EQ(PercentEncodeSegment("\xC3\xA9"), "%C3%A9");
  const std::string odd = "x/y%z #\x01\xff";
  EXPECT_EQ(PercentDecode(PercentEncodeSegment(odd)), odd);
}

}  // namespace
}  // namespace tessera
