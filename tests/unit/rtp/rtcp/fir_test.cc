#include <gtest/gtest.h>
#include <tessera/rtp/rtcp/fir.h>

#include <vector>

namespace tessera::rtp {
namespace {

const std::vector<uint8_t> kFir = {
    0x84, 206,  0x00, 0x06,  // FMT=4, PT=206, length 6
    0x11, 0x11, 0x11, 0x11,  // sender SSRC
    0x00, 0x00, 0x00, 0x00,  // media SSRC (unused)
    0x22, 0x22, 0x22, 0x22,  // entry 1: SSRC
    0x07, 0x00, 0x00, 0x00,  //          seq nr 7, reserved
    0x33, 0x33, 0x33, 0x33,  // entry 2: SSRC
    0xFF, 0x00, 0x00, 0x00,  //          seq nr 255, reserved
};

TEST(Fir, ParsesKnownBytes) {
  auto fir = Fir::Parse(kFir);
  ASSERT_TRUE(fir);
  EXPECT_EQ(fir->sender_ssrc, 0x11111111u);
  EXPECT_EQ(fir->media_ssrc, 0u);
  ASSERT_EQ(fir->entries.size(), 2u);
  EXPECT_EQ(fir->entries[0], (FirEntry{0x22222222, 7}));
  EXPECT_EQ(fir->entries[1], (FirEntry{0x33333333, 255}));
}

TEST(Fir, SerializesToKnownBytes) {
  Fir fir{0x11111111, 0, {{0x22222222, 7}, {0x33333333, 255}}};
  std::vector<uint8_t> out;
  fir.Serialize(out);
  EXPECT_EQ(out, kFir);
}

TEST(Fir, RejectsNoEntriesOrPartialEntry) {
  std::vector<uint8_t> none(kFir.begin(), kFir.begin() + 12);
  none[3] = 0x02;
  EXPECT_FALSE(Fir::Parse(none));
  std::vector<uint8_t> partial(kFir.begin(), kFir.end() - 4);
  partial[3] = 0x05;
  EXPECT_FALSE(Fir::Parse(partial));
  Fir empty{1, 0, {}};
  std::vector<uint8_t> out;
  empty.Serialize(out);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace tessera::rtp
