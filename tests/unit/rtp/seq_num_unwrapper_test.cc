#include <gtest/gtest.h>
#include <tessera/rtp/seq_num_unwrapper.h>

namespace tessera::rtp {
namespace {

TEST(SeqNumUnwrapper, CountsOnAcrossTheWrap) {
  SeqNumUnwrapper u;
  EXPECT_EQ(u.Unwrap(65534), 65534);
  EXPECT_EQ(u.Unwrap(65535), 65535);
  EXPECT_EQ(u.Unwrap(0), 65536);
  EXPECT_EQ(u.Unwrap(2), 65538);
}

TEST(SeqNumUnwrapper, StepsBackForReorderedPackets) {
  SeqNumUnwrapper u;
  EXPECT_EQ(u.Unwrap(1), 1);
  EXPECT_EQ(u.Unwrap(65535), -1);
  EXPECT_EQ(u.Unwrap(3), 3);
  EXPECT_EQ(u.Unwrap(65533), -3);
}

TEST(SeqNumUnwrapper, StepsAtMostHalfTheRangeForward) {
  SeqNumUnwrapper u;
  EXPECT_EQ(u.Unwrap(0), 0);
  EXPECT_EQ(u.Unwrap(32767), 32767);  // 32767 ahead: forward
  EXPECT_EQ(u.Unwrap(65535), -1);     // 32768 ahead: taken as 32768 behind
  EXPECT_EQ(u.last(), -1);
}

}  // namespace
}  // namespace tessera::rtp
