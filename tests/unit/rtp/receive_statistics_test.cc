#include <gtest/gtest.h>
#include <tessera/rtp/receive_statistics.h>

#include <vector>

namespace tessera::rtp {
namespace {

constexpr uint32_t kSsrc = 0x5EED;
constexpr uint32_t kVideoRate = 90000;

class ReceiveStatisticsTest : public ::testing::Test {
 protected:
  // Feeds seqs 20 ms apart with timestamps that match, so transit is constant.
  void Feed(std::initializer_list<uint16_t> seqs) {
    for (uint16_t seq : seqs) {
      (void)stats_.OnPacket(seq, seq * 1800u, clock_.NowUs());
      clock_.AdvanceMs(20);
    }
  }

  FakeClock clock_;
  ReceiveStatistics stats_{kSsrc, kVideoRate, clock_};
};

TEST_F(ReceiveStatisticsTest, CountsLossFromGaps) {
  Feed({0, 1, 2, 5, 6, 7, 8, 9});
  EXPECT_EQ(stats_.packets_received(), 8u);
  EXPECT_EQ(stats_.packets_lost(), 2);
  const ReportBlock block = stats_.BuildReportBlock(clock_.NowUs());
  EXPECT_EQ(block.ssrc, kSsrc);
  EXPECT_EQ(block.cumulative_lost, 2);
  EXPECT_EQ(block.extended_highest_seq, 9u);
  EXPECT_EQ(block.fraction_lost, 2 * 256 / 10);
}

TEST_F(ReceiveStatisticsTest, FractionLostCoversOnlyTheLastInterval) {
  Feed({0, 1, 2, 3});
  EXPECT_EQ(stats_.BuildReportBlock(clock_.NowUs()).fraction_lost, 0);
  Feed({5, 7});  // 4 and 6 lost out of 4 expected
  ReportBlock block = stats_.BuildReportBlock(clock_.NowUs());
  EXPECT_EQ(block.fraction_lost, 128);
  EXPECT_EQ(block.cumulative_lost, 2);
  Feed({8, 9});
  block = stats_.BuildReportBlock(clock_.NowUs());
  EXPECT_EQ(block.fraction_lost, 0);
  EXPECT_EQ(block.cumulative_lost, 2);
}

TEST_F(ReceiveStatisticsTest, UnwrapsAcrossSequenceWrap) {
  Feed({65533, 65534, 65535, 0, 1, 3});
  EXPECT_EQ(stats_.packets_received(), 6u);
  EXPECT_EQ(stats_.packets_lost(), 1);
  EXPECT_EQ(stats_.extended_highest_seq(), 0x10003u);
  EXPECT_EQ(stats_.BuildReportBlock(clock_.NowUs()).extended_highest_seq, 0x10003u);
}

TEST_F(ReceiveStatisticsTest, ReorderedPacketsAreNotLoss) {
  Feed({10, 11, 13, 12, 14, 16, 15});
  EXPECT_EQ(stats_.packets_received(), 7u);
  EXPECT_EQ(stats_.packets_lost(), 0);
  EXPECT_EQ(stats_.reordered(), 2u);
  EXPECT_EQ(stats_.BuildReportBlock(clock_.NowUs()).fraction_lost, 0);
}

TEST_F(ReceiveStatisticsTest, ReorderedAcrossWrapAndBeforeFirstPacket) {
  Feed({0, 65535, 1});  // 65535 was sent before the first packet we saw
  EXPECT_EQ(stats_.packets_received(), 3u);
  EXPECT_EQ(stats_.packets_lost(), 0);
  EXPECT_EQ(stats_.extended_highest_seq(), 1u);
}

TEST_F(ReceiveStatisticsTest, DuplicatesAreCountedButNotReceivedOrLost) {
  EXPECT_EQ(stats_.OnPacket(1, 0, 0), ReceivedPacketKind::kFirst);
  EXPECT_EQ(stats_.OnPacket(2, 0, 0), ReceivedPacketKind::kInOrder);
  EXPECT_EQ(stats_.OnPacket(2, 0, 0), ReceivedPacketKind::kDuplicate);
  EXPECT_EQ(stats_.OnPacket(4, 0, 0), ReceivedPacketKind::kInOrder);
  EXPECT_EQ(stats_.OnPacket(1, 0, 0), ReceivedPacketKind::kDuplicate);
  EXPECT_EQ(stats_.OnPacket(3, 0, 0), ReceivedPacketKind::kReordered);
  EXPECT_EQ(stats_.OnPacket(3, 0, 0), ReceivedPacketKind::kDuplicate);
  EXPECT_EQ(stats_.duplicates(), 3u);
  EXPECT_EQ(stats_.packets_received(), 4u);
  EXPECT_EQ(stats_.packets_lost(), 0);
}

TEST_F(ReceiveStatisticsTest, LargeJumpRestartsAfterTwoSequentialPackets) {
  Feed({0, 1, 2, 3});
  EXPECT_EQ(stats_.OnPacket(20000, 0, clock_.NowUs()), ReceivedPacketKind::kJump);
  EXPECT_EQ(stats_.packets_received(), 4u);
  EXPECT_EQ(stats_.OnPacket(20001, 0, clock_.NowUs()), ReceivedPacketKind::kFirst);
  EXPECT_EQ(stats_.restarts(), 1u);
  EXPECT_EQ(stats_.packets_received(), 2u);
  EXPECT_EQ(stats_.packets_lost(), 0);
  EXPECT_EQ(stats_.OnPacket(20002, 0, clock_.NowUs()), ReceivedPacketKind::kInOrder);
  EXPECT_EQ(stats_.extended_highest_seq(), 20002u);
  EXPECT_EQ(stats_.BuildReportBlock(clock_.NowUs()).cumulative_lost, 0);
}

TEST_F(ReceiveStatisticsTest, StrayJumpIsIgnored) {
  Feed({0, 1, 2});
  EXPECT_EQ(stats_.OnPacket(40000, 0, clock_.NowUs()), ReceivedPacketKind::kJump);
  Feed({3, 4, 40001});  // 40001 no longer follows the jump: another stray
  EXPECT_EQ(stats_.restarts(), 0u);
  EXPECT_EQ(stats_.packets_received(), 5u);
  EXPECT_EQ(stats_.extended_highest_seq(), 4u);
}

TEST_F(ReceiveStatisticsTest, JitterIsZeroForConstantTransit) {
  uint16_t seq = 0;
  for (int i = 0; i < 100; ++i) {
    (void)stats_.OnPacket(seq++, 1000u + i * 1800u, clock_.NowUs());
    clock_.AdvanceMs(20);
  }
  EXPECT_EQ(stats_.jitter(), 0.0);
  EXPECT_EQ(stats_.BuildReportBlock(clock_.NowUs()).jitter, 0u);
}

TEST_F(ReceiveStatisticsTest, JitterConvergesToAlternatingDelay) {
  // Sent every 20 ms; every other packet is 10 ms late, so |D| is 10 ms = 900 ticks each time
  // and the A.8 estimate J += (|D| - J) / 16 converges to 900.
  const int64_t start = clock_.NowUs();
  for (int i = 0; i < 400; ++i) {
    const int64_t arrival = start + i * 20'000 + (i % 2) * 10'000;
    (void)stats_.OnPacket(static_cast<uint16_t>(i), 5000u + i * 1800u, arrival);
  }
  EXPECT_NEAR(stats_.jitter(), 900.0, 0.5);
  EXPECT_NEAR(stats_.jitter_ms(), 10.0, 0.01);
  const uint32_t reported = stats_.BuildReportBlock(start + 8'000'000).jitter;
  EXPECT_GE(reported, 899u);
  EXPECT_LE(reported, 900u);
}

TEST_F(ReceiveStatisticsTest, JitterFollowsTheFirstStepsOfA8) {
  // One late packet: D = 900, so J = 900 / 16; then back on time: D = 900 again.
  (void)stats_.OnPacket(0, 0, 0);
  (void)stats_.OnPacket(1, 1800, 30'000);  // 10 ms late
  EXPECT_DOUBLE_EQ(stats_.jitter(), 900.0 / 16);
  (void)stats_.OnPacket(2, 3600, 40'000);
  EXPECT_DOUBLE_EQ(stats_.jitter(), 900.0 / 16 + (900.0 - 900.0 / 16) / 16);
}

TEST_F(ReceiveStatisticsTest, ReportsLsrAndDlsr) {
  Feed({0, 1});
  EXPECT_EQ(stats_.BuildReportBlock(clock_.NowUs()).lsr, 0u);
  const uint32_t sr_compact = NtpTime{0xE0001234, 0x80000000}.Compact();
  stats_.OnSenderReport(sr_compact, clock_.NowUs());
  clock_.AdvanceMs(1500);
  const ReportBlock block = stats_.BuildReportBlock();
  EXPECT_EQ(block.lsr, 0x12348000u);
  EXPECT_EQ(block.dlsr, 98304u);  // 1.5 s in 1/65536 s
}

TEST_F(ReceiveStatisticsTest, EmptyBeforeFirstPacket) {
  const ReportBlock block = stats_.BuildReportBlock(clock_.NowUs());
  EXPECT_EQ(block, (ReportBlock{kSsrc, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(stats_.packets_lost(), 0);
}

}  // namespace
}  // namespace tessera::rtp
