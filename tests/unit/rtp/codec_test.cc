#include <gtest/gtest.h>
#include <tessera/rtp/codec.h>

namespace tessera::rtp {
namespace {

TEST(Codec, NamesRoundTripAndKinds) {
  for (Codec c : {Codec::kH264, Codec::kVp8, Codec::kVp9, Codec::kAv1, Codec::kOpus, Codec::kPcmu,
                  Codec::kPcma, Codec::kG722}) {
    EXPECT_EQ(CodecFromName(CodecName(c)), c) << CodecName(c);
  }
  EXPECT_EQ(CodecFromName("vp9"), Codec::kVp9);
  EXPECT_EQ(CodecFromName("av1"), Codec::kAv1);
  EXPECT_FALSE(CodecFromName("H265"));
  EXPECT_FALSE(CodecFromName("AV1X"));
  for (Codec c : {Codec::kVp9, Codec::kAv1}) {
    EXPECT_EQ(KindOf(c), MediaKind::kVideo) << CodecName(c);
    EXPECT_EQ(RtpClockRate(c), 90000u) << CodecName(c);
  }
  EXPECT_EQ(KindOf(Codec::kOpus), MediaKind::kAudio);
}

}  // namespace
}  // namespace tessera::rtp
