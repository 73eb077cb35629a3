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
TEST(Percent, QueryValueFindsItsKeyDecodedAndNothingElse) {
  EXPECT_EQ(QueryValue("a=1&node=n%202&node=n3", "node"), "n 2");
  EXPECT_EQ(QueryValue("consent=granted", "consent"), "granted");
  EXPECT_EQ(QueryValue("nodes=n1&xnode=n2&node", "node"), "") << "no such key with a value";
  EXPECT_EQ(QueryValue("node=%zz", "node"), "") << "a broken escape is no value";
  EXPECT_EQ(QueryValue("", "node"), "");
}

}  // namespace tessera
