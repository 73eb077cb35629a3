#include <gtest/gtest.h>
#include <tessera/rtp/rtcp/sender_report.h>

#include <vector>

namespace tessera::rtp {
namespace {

// An SR with one report block, written out by hand.
const std::vector<uint8_t> kSrWithBlock = {
    0x81, 200,  0x00, 0x0C,  // V=2, RC=1, PT=200, length 12 (52 bytes)
    0x12, 0x34, 0x56, 0x78,  // sender SSRC
    0xE8, 0x00, 0x00, 0x01,  // NTP seconds
    0x80, 0x00, 0x00, 0x00,  // NTP fraction (0.5 s)
    0x00, 0x01, 0x5F, 0x90,  // RTP timestamp 90000
    0x00, 0x00, 0x00, 0x64,  // packet count 100
    0x00, 0x01, 0x86, 0xA0,  // octet count 100000
    0x23, 0x45, 0x67, 0x89,  // block: SSRC
    0x40, 0xFF, 0xFF, 0xFE,  // fraction lost 64/256, cumulative lost -2
    0x00, 0x01, 0x00, 0x05,  // extended highest sequence 65541
    0x00, 0x00, 0x01, 0x2C,  // jitter 300
    0xAB, 0xCD, 0xEF, 0x01,  // LSR
    0x00, 0x01, 0x80, 0x00,  // DLSR 1.5 s
};

TEST(SenderReport, ParsesKnownBytes) {
  auto sr = SenderReport::Parse(kSrWithBlock);
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->sender_ssrc, 0x12345678u);
  EXPECT_EQ(sr->ntp.seconds, 0xE8000001u);
  EXPECT_EQ(sr->ntp.fraction, 0x80000000u);
  EXPECT_EQ(sr->rtp_timestamp, 90000u);
  EXPECT_EQ(sr->packet_count, 100u);
  EXPECT_EQ(sr->octet_count, 100000u);
  ASSERT_EQ(sr->report_blocks.size(), 1u);
  const ReportBlock& b = sr->report_blocks[0];
  EXPECT_EQ(b.ssrc, 0x23456789u);
  EXPECT_EQ(b.fraction_lost, 64);
  EXPECT_EQ(b.cumulative_lost, -2);
  EXPECT_EQ(b.extended_highest_seq, 65541u);
  EXPECT_EQ(b.jitter, 300u);
  EXPECT_EQ(b.lsr, 0xABCDEF01u);
  EXPECT_EQ(b.dlsr, 0x18000u);
}

TEST(SenderReport, SerializesToKnownBytes) {
  auto sr = SenderReport::Parse(kSrWithBlock);
  ASSERT_TRUE(sr);
  std::vector<uint8_t> out;
  sr->Serialize(out);
  EXPECT_EQ(out, kSrWithBlock);
}

TEST(SenderReport, RoundTripsWithoutBlocks) {
  SenderReport sr;
  sr.sender_ssrc = 7;
  sr.ntp = {123, 456};
  sr.rtp_timestamp = 0xFFFFFFFF;
  sr.packet_count = 1;
  sr.octet_count = 2;
  std::vector<uint8_t> out;
  sr.Serialize(out);
  EXPECT_EQ(out.size(), 28u);
  auto parsed = SenderReport::Parse(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, sr);
}

TEST(SenderReport, AcceptsPaddingAndProfileExtensions) {
  std::vector<uint8_t> packet = kSrWithBlock;
  // 4 bytes of profile extension, then 4 bytes of padding; length grows by 2 words.
  packet[0] |= 0x20;
  packet[3] = 0x0E;
  packet.insert(packet.end(), {0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0, 4});
  auto sr = SenderReport::Parse(packet);
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->report_blocks.size(), 1u);
  EXPECT_EQ(sr->report_blocks[0].dlsr, 0x18000u);
}

TEST(SenderReport, RejectsTruncatedBlocks) {
  std::vector<uint8_t> packet(kSrWithBlock.begin(), kSrWithBlock.end() - 4);
  packet[3] = 0x0B;  // consistent length, but RC=1 needs 24 more bytes than are there
  EXPECT_FALSE(SenderReport::Parse(packet));
  // Length field beyond the buffer.
  EXPECT_FALSE(SenderReport::Parse(std::span(kSrWithBlock).first(40)));
  // Wrong packet type.
  std::vector<uint8_t> rr = kSrWithBlock;
  rr[1] = 201;
  EXPECT_FALSE(SenderReport::Parse(rr));
}

TEST(SenderReport, SerializesAtMost31Blocks) {
  SenderReport sr;
  sr.report_blocks.resize(40);
  std::vector<uint8_t> out;
  sr.Serialize(out);
  auto parsed = SenderReport::Parse(out);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->report_blocks.size(), 31u);
}

}  // namespace
}  // namespace tessera::rtp
