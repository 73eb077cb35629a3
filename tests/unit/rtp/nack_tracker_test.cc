#include <gtest/gtest.h>
#include <tessera/base/clock.h>
#include <tessera/rtp/nack_tracker.h>

#include <cstdint>
#include <vector>

namespace tessera::rtp {
namespace {

using Seqs = std::vector<uint16_t>;

NackTracker::Config MakeConfig(int max_retries, size_t max_list, int64_t max_age_us,
                               int reorder_window_packets) {
  NackTracker::Config config;
  config.max_retries = max_retries;
  config.max_list = max_list;
  config.max_age_us = max_age_us;
  config.reorder_window_packets = reorder_window_packets;
  return config;
}

class NackTrackerTest : public ::testing::Test {
 protected:
  void Arrive(uint16_t seq) { EXPECT_FALSE(nack_.OnPacket(seq, clock_.NowUs()).keyframe_needed); }
  Seqs Nacks() { return nack_.GetNacksToSend(clock_.NowUs()); }

  FakeClock clock_;
  NackTracker nack_{NackTracker::Config{}};
};

TEST_F(NackTrackerTest, NacksEachGapSequenceNumberOnce) {
  Arrive(10);
  Arrive(11);
  EXPECT_TRUE(Nacks().empty());
  Arrive(14);
  EXPECT_EQ(Nacks(), (Seqs{12, 13}));
  EXPECT_TRUE(Nacks().empty());
  EXPECT_EQ(nack_.stats().nacks_sent, 2u);
}

TEST_F(NackTrackerTest, RetriesOnlyAfterOneRtt) {
  nack_.UpdateRtt(50'000);
  Arrive(10);
  Arrive(12);
  EXPECT_EQ(Nacks(), (Seqs{11}));
  clock_.AdvanceUs(49'999);
  EXPECT_TRUE(Nacks().empty());
  clock_.AdvanceUs(1);
  EXPECT_EQ(Nacks(), (Seqs{11}));
  EXPECT_EQ(nack_.stats().nacks_sent, 2u);
}

TEST_F(NackTrackerTest, UsesTheDefaultRttUntilOneIsMeasured) {
  Arrive(10);
  Arrive(12);
  EXPECT_EQ(Nacks(), (Seqs{11}));
  clock_.AdvanceMs(99);
  EXPECT_TRUE(Nacks().empty());
  clock_.AdvanceMs(1);
  EXPECT_EQ(Nacks(), (Seqs{11}));
}

TEST_F(NackTrackerTest, RemovesRecoveredSequenceNumbers) {
  Arrive(10);
  Arrive(14);
  EXPECT_EQ(Nacks(), (Seqs{11, 12, 13}));
  Arrive(12);
  clock_.AdvanceMs(100);
  EXPECT_EQ(Nacks(), (Seqs{11, 13}));
  EXPECT_EQ(nack_.stats().recovered, 1u);
  EXPECT_EQ(nack_.missing_count(), 2u);
}

TEST_F(NackTrackerTest, OldReorderedPacketsOpenNoGap) {
  Arrive(10);
  Arrive(12);
  Arrive(11);
  Arrive(9);
  EXPECT_TRUE(Nacks().empty());
  EXPECT_EQ(nack_.missing_count(), 0u);
}

TEST_F(NackTrackerTest, GivesUpAfterMaxRetries) {
  NackTracker nack(MakeConfig(3, 500, 10'000'000, 0));
  EXPECT_FALSE(nack.OnPacket(1, 0).keyframe_needed);
  EXPECT_FALSE(nack.OnPacket(3, 0).keyframe_needed);
  int sent = 0;
  for (int64_t t = 0; t < 2'000'000; t += 100'000) sent += nack.GetNacksToSend(t).size();
  EXPECT_EQ(sent, 3);
  EXPECT_EQ(nack.stats().abandoned, 1u);
  EXPECT_EQ(nack.missing_count(), 0u);
}

TEST_F(NackTrackerTest, AbandonsSequenceNumbersOlderThanMaxAge) {
  Arrive(1);
  Arrive(3);
  clock_.AdvanceMs(999);
  EXPECT_EQ(Nacks(), (Seqs{2}));
  clock_.AdvanceMs(1);
  EXPECT_TRUE(Nacks().empty());
  EXPECT_EQ(nack_.stats().abandoned, 1u);
}

TEST_F(NackTrackerTest, OverflowClearsTheListAndNeedsAKeyframe) {
  NackTracker nack(MakeConfig(10, 10, 1'000'000, 0));
  EXPECT_FALSE(nack.OnPacket(100, 0).keyframe_needed);
  EXPECT_FALSE(nack.OnPacket(106, 0).keyframe_needed);  // 5 missing
  EXPECT_FALSE(nack.OnPacket(112, 0).keyframe_needed);  // 10 missing
  EXPECT_TRUE(nack.OnPacket(114, 0).keyframe_needed);   // 11 > max_list
  EXPECT_EQ(nack.missing_count(), 0u);
  EXPECT_TRUE(nack.GetNacksToSend(0).empty());
  EXPECT_EQ(nack.stats().overflows, 1u);
  EXPECT_EQ(nack.stats().abandoned, 11u);
  // Tracking goes on from the newest packet.
  EXPECT_FALSE(nack.OnPacket(116, 0).keyframe_needed);
  EXPECT_EQ(nack.GetNacksToSend(0), (Seqs{115}));
}

TEST_F(NackTrackerTest, AHugeJumpOverflowsWithoutListingEveryGap) {
  NackTracker nack(MakeConfig(10, 500, 1'000'000, 0));
  EXPECT_FALSE(nack.OnPacket(0, 0).keyframe_needed);
  EXPECT_TRUE(nack.OnPacket(30000, 0).keyframe_needed);
  EXPECT_EQ(nack.missing_count(), 0u);
}

TEST_F(NackTrackerTest, HandlesSequenceWrapAround) {
  Arrive(65533);
  Arrive(65534);
  Arrive(1);
  EXPECT_EQ(Nacks(), (Seqs{65535, 0}));
  Arrive(0);
  clock_.AdvanceMs(100);
  EXPECT_EQ(Nacks(), (Seqs{65535}));
}

TEST_F(NackTrackerTest, ReorderWindowDelaysTheFirstNack) {
  NackTracker nack(MakeConfig(10, 500, 1'000'000, 2));
  EXPECT_FALSE(nack.OnPacket(10, 0).keyframe_needed);
  EXPECT_FALSE(nack.OnPacket(12, 0).keyframe_needed);
  EXPECT_TRUE(nack.GetNacksToSend(0).empty());
  EXPECT_FALSE(nack.OnPacket(13, 0).keyframe_needed);
  EXPECT_TRUE(nack.GetNacksToSend(0).empty());
  EXPECT_FALSE(nack.OnPacket(14, 0).keyframe_needed);
  EXPECT_EQ(nack.GetNacksToSend(0), (Seqs{11}));
}

TEST_F(NackTrackerTest, ClearUpToStopsNackingOlderSequenceNumbers) {
  Arrive(65530);
  Arrive(5);
  nack_.ClearUpTo(2);
  EXPECT_EQ(Nacks(), (Seqs{2, 3, 4}));
  EXPECT_EQ(nack_.stats().abandoned, 0u);
}

}  // namespace
}  // namespace tessera::rtp
