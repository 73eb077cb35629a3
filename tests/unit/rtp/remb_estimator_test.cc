// The REMB estimate a publishing browser is told (rtp::RembEstimator): capped at once, down to
// what arrives when loss is high, back up slowly when it stops.
#include <gtest/gtest.h>
#include <tessera/rtp/remb_estimator.h>

namespace tessera::rtp {
namespace {

TEST(RembEstimator, StartsAtTheCapFallsWithLossAndClimbsBack) {
  RembEstimator e({.max_bps = 1'000'000, .min_bps = 100'000, .interval_us = 1'000'000});
  int64_t seq = 1000, lost = 0, t = 0;
  uint64_t bytes = 0;
  ASSERT_EQ(e.Update(t, seq, lost, bytes), 1'000'000) << "the first answer is the cap";
  EXPECT_FALSE(e.Update(t + 500'000, seq, lost, bytes)) << "not before an interval passed";
  // A second of 600 kbit/s with 20 % loss: down to what arrived less half the loss.
  t += 1'000'000;
  seq += 100;
  lost += 20;
  bytes += 75'000;
  auto low = e.Update(t, seq, lost, bytes);
  ASSERT_TRUE(low);
  EXPECT_EQ(*low, 540'000);
  // Moderate loss (5 %): holds.
  t += 1'000'000;
  seq += 100;
  lost += 5;
  bytes += 60'000;
  EXPECT_EQ(e.Update(t, seq, lost, bytes), 540'000);
  // Clean seconds: 8 % a second back up, never past the cap.
  int64_t last = 540'000;
  for (int i = 0; i < 20; ++i) {
    t += 1'000'000;
    seq += 100;
    bytes += 60'000;
    auto up = e.Update(t, seq, lost, bytes);
    ASSERT_TRUE(up);
    EXPECT_GE(*up, last);
    EXPECT_LE(*up, 1'000'000);
    last = *up;
  }
  EXPECT_EQ(last, 1'000'000);
}

TEST(RembEstimator, NeverGoesUnderTheFloorAndARestartedStreamIsNoLoss) {
  RembEstimator e({.max_bps = 800'000, .min_bps = 150'000, .interval_us = 1'000'000});
  ASSERT_TRUE(e.Update(0, 500, 0, 0));
  // Everything lost: the floor.
  EXPECT_EQ(e.Update(1'000'000, 600, 100, 0), 150'000);
  // The sender restarted: its counters went back; nothing is read into that.
  EXPECT_EQ(e.Update(2'000'000, 10, 0, 10), 150'000);
  EXPECT_GT(*e.Update(3'000'000, 110, 0, 50'000), 150'000);
}

}  // namespace
}  // namespace tessera::rtp
