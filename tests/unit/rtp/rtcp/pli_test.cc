#include <gtest/gtest.h>
#include <tessera/rtp/rtcp/pli.h>

#include <vector>

namespace tessera::rtp {
namespace {

const std::vector<uint8_t> kPli = {
    0x81, 206,  0x00, 0x02,  // FMT=1, PT=206, length 2
    0x00, 0x00, 0x00, 0x01,  // sender SSRC
    0xAB, 0xCD, 0xEF, 0x12,  // media SSRC
};

TEST(Pli, ParsesAndSerializesKnownBytes) {
  auto pli = Pli::Parse(kPli);
  ASSERT_TRUE(pli);
  EXPECT_EQ(pli->sender_ssrc, 1u);
  EXPECT_EQ(pli->media_ssrc, 0xABCDEF12u);
  std::vector<uint8_t> out;
  pli->Serialize(out);
  EXPECT_EQ(out, kPli);
}

TEST(Pli, RejectsShortBodyAndOtherFmt) {
  std::vector<uint8_t> short_body(kPli.begin(), kPli.begin() + 8);
  short_body[3] = 0x01;
  EXPECT_FALSE(Pli::Parse(short_body));
  std::vector<uint8_t> fir = kPli;
  fir[0] = 0x84;
  EXPECT_FALSE(Pli::Parse(fir));
}

}  // namespace
}  // namespace tessera::rtp
