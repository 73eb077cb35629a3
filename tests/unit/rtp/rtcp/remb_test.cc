#include <gtest/gtest.h>
#include <tessera/rtp/rtcp/remb.h>

#include <vector>

namespace tessera::rtp {
namespace {

// 522022 bps = mantissa 0x3FB93 * 2^1, for three SSRCs.
const std::vector<uint8_t> kRemb = {
    0x8F, 206,  0x00, 0x07,  // FMT=15, PT=206, length 7
    0x12, 0x34, 0x56, 0x78,  // sender SSRC
    0x00, 0x00, 0x00, 0x00,  // media SSRC
    'R',  'E',  'M',  'B',   // identifier
    0x03, 0x07, 0xFB, 0x93,  // num SSRC 3, exp 1, mantissa 0x3FB93
    0x23, 0x45, 0x67, 0x89,  // SSRC feedback list
    0x23, 0x45, 0x67, 0x8A,  //
    0x23, 0x45, 0x67, 0x8B,  //
};

TEST(Remb, ParsesKnownBytes) {
  auto remb = Remb::Parse(kRemb);
  ASSERT_TRUE(remb);
  EXPECT_EQ(remb->sender_ssrc, 0x12345678u);
  EXPECT_EQ(remb->bitrate_bps, 522022u);
  EXPECT_EQ(remb->ssrcs, (std::vector<uint32_t>{0x23456789, 0x2345678A, 0x2345678B}));
}

TEST(Remb, SerializesToKnownBytes) {
  Remb remb{0x12345678, 0, 522022, {0x23456789, 0x2345678A, 0x2345678B}};
  std::vector<uint8_t> out;
  remb.Serialize(out);
  EXPECT_EQ(out, kRemb);
}

TEST(Remb, EncodesLargeBitratesRoundedDown) {
  Remb remb{1, 0, 0, {2}};
  for (uint64_t bps : {uint64_t{0}, uint64_t{262143}, uint64_t{262144}, uint64_t{2'500'000},
                       uint64_t{1} << 40, ~uint64_t{0}}) {
    remb.bitrate_bps = bps;
    std::vector<uint8_t> out;
    remb.Serialize(out);
    auto parsed = Remb::Parse(out);
    ASSERT_TRUE(parsed) << bps;
    EXPECT_LE(parsed->bitrate_bps, bps);
    // 18 bits of mantissa: within 1/2^17 of the original.
    EXPECT_GE(parsed->bitrate_bps, bps - (bps >> 17)) << bps;
  }
}

TEST(Remb, RejectsOtherIdentifierOverflowAndShortSsrcList) {
  std::vector<uint8_t> other = kRemb;
  other[12] = 'X';
  EXPECT_FALSE(Remb::Parse(other));
  std::vector<uint8_t> overflow = kRemb;
  overflow[17] = 0xFF;  // exp 63 with a non-zero mantissa
  EXPECT_FALSE(Remb::Parse(overflow));
  std::vector<uint8_t> short_list = kRemb;
  short_list[16] = 4;  // claims one more SSRC than present
  EXPECT_FALSE(Remb::Parse(short_list));
}

}  // namespace
}  // namespace tessera::rtp
