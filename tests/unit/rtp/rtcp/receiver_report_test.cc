#include <gtest/gtest.h>
#include <tessera/rtp/rtcp/receiver_report.h>

#include <vector>

namespace tessera::rtp {
namespace {

ReportBlock MakeBlock(uint32_t ssrc) {
  ReportBlock b;
  b.ssrc = ssrc;
  b.fraction_lost = 12;
  b.cumulative_lost = 345;
  b.extended_highest_seq = 0x0002FFFF;
  b.jitter = 90;
  b.lsr = 0x11112222;
  b.dlsr = 0x00010000;
  return b;
}

TEST(ReceiverReport, RoundTripsBlocks) {
  ReceiverReport rr;
  rr.sender_ssrc = 0xCAFEBABE;
  rr.report_blocks = {MakeBlock(1), MakeBlock(2), MakeBlock(3)};
  std::vector<uint8_t> out;
  rr.Serialize(out);
  ASSERT_EQ(out.size(), 8u + 3 * kReportBlockSize);
  EXPECT_EQ(out[0], 0x83);
  EXPECT_EQ(out[1], 201);
  auto parsed = ReceiverReport::Parse(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, rr);
}

TEST(ReceiverReport, EmptyReportIsEightBytes) {
  ReceiverReport rr{0x01020304, {}};
  std::vector<uint8_t> out;
  rr.Serialize(out);
  const std::vector<uint8_t> expected = {0x80, 201, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04};
  EXPECT_EQ(out, expected);
}

TEST(ReceiverReport, RejectsCountLargerThanBody) {
  // RC=1 but no block follows.
  const std::vector<uint8_t> packet = {0x81, 201, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04};
  EXPECT_FALSE(ReceiverReport::Parse(packet));
}

TEST(ReportBlock, CumulativeLostIsSigned24Bit) {
  ReportBlock b = MakeBlock(9);
  for (int32_t lost : {0, 1, -1, 0x7FFFFF, -0x800000}) {
    b.cumulative_lost = lost;
    std::vector<uint8_t> out;
    SerializeReportBlock(b, out);
    auto parsed = ParseReportBlock(out);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->cumulative_lost, lost);
  }
}

TEST(ReportBlock, ClampsCumulativeLostOutOfRange) {
  ReportBlock b = MakeBlock(9);
  b.cumulative_lost = 0x1000000;
  std::vector<uint8_t> out;
  SerializeReportBlock(b, out);
  EXPECT_EQ(ParseReportBlock(out)->cumulative_lost, 0x7FFFFF);
  b.cumulative_lost = -0x1000000;
  out.clear();
  SerializeReportBlock(b, out);
  EXPECT_EQ(ParseReportBlock(out)->cumulative_lost, -0x800000);
}

TEST(ReportBlock, ParseRejectsShortInput) {
  std::vector<uint8_t> out;
  SerializeReportBlock(MakeBlock(1), out);
  EXPECT_FALSE(ParseReportBlock(std::span(out).first(23)));
}

TEST(RttFromReportBlock, SubtractsLsrAndDlsrFromArrival) {
  const NtpTime sr_sent{1000, 0};
  ReportBlock b;
  b.lsr = sr_sent.Compact();
  b.dlsr = 0x8000;  // the receiver held the SR for 0.5 s
  // The RR arrives 0.6 s after the SR left: 100 ms round trip.
  const NtpTime now{1000, static_cast<uint32_t>(0.6 * 4294967296.0)};
  EXPECT_NEAR(RttFromReportBlock(b, now), 100'000, 20);
}

TEST(RttFromReportBlock, WorksAcrossCompactWrap) {
  const NtpTime sr_sent{0xFFFF, 0xFFFF0000};  // compact 0xFFFFFFFF
  ReportBlock b;
  b.lsr = sr_sent.Compact();
  b.dlsr = 0;
  const NtpTime now{0x10000, 0x10000000};  // 1/16 s after sr_sent + 1/65536 s
  EXPECT_NEAR(RttFromReportBlock(b, now), 62'500 + 15, 2);
}

TEST(RttFromReportBlock, NoLsrMeansUnknownAndNegativeClampsToZero) {
  ReportBlock b;
  EXPECT_EQ(RttFromReportBlock(b, NtpTime{5000, 0}), -1);
  b.lsr = NtpTime{5000, 0}.Compact();
  b.dlsr = 0x20000;  // claims 2 s of hold, more than has passed
  EXPECT_EQ(RttFromReportBlock(b, NtpTime{5001, 0}), 0);
}

}  // namespace
}  // namespace tessera::rtp
