#include <gtest/gtest.h>
#include <tessera/rtp/depacketizer.h>

#include <vector>

namespace tessera::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(CreateDepacketizer, ReturnsTheCodecsPayloadFormat) {
  // An FU-A with S and E set is malformed H.264, valid VP8 (descriptor 0x7C: S=1, PID 4) and a
  // valid audio frame.
  const Bytes payload = {0x7C, 0xC5, 0x88, 0x00};
  auto h264 = CreateDepacketizer(Codec::kH264);
  ASSERT_NE(h264, nullptr);
  EXPECT_FALSE(h264->Parse(payload));

  auto vp8 = CreateDepacketizer(Codec::kVp8);
  ASSERT_NE(vp8, nullptr);
  auto vp8_out = vp8->Parse(payload);
  ASSERT_TRUE(vp8_out);
  EXPECT_EQ(vp8_out->data, (Bytes{0xC5, 0x88, 0x00}));
  EXPECT_FALSE(vp8_out->frame_start);

  // VP9 (RFC 9628): as ffmpeg sends it, a one-byte descriptor with B and E.
  auto vp9 = CreateDepacketizer(Codec::kVp9);
  ASSERT_NE(vp9, nullptr);
  auto vp9_out = vp9->Parse(Bytes{0x0c, 0x86, 0x00, 0x40});
  ASSERT_TRUE(vp9_out);
  EXPECT_EQ(vp9_out->data, (Bytes{0x86, 0x00, 0x40}));
  EXPECT_TRUE(vp9_out->frame_start);
  EXPECT_TRUE(vp9_out->layer_frame_end);

  // AV1: W = 1 makes the rest of the payload one OBU element (here a temporal delimiter); the
  // element comes back behind its length.
  auto av1 = CreateDepacketizer(Codec::kAv1);
  ASSERT_NE(av1, nullptr);
  auto av1_out = av1->Parse(Bytes{0x10, 0x12, 0x00});
  ASSERT_TRUE(av1_out);
  EXPECT_EQ(av1_out->data, (Bytes{0x02, 0x12, 0x00}));
  EXPECT_TRUE(av1_out->frame_start);

  for (Codec codec : {Codec::kOpus, Codec::kPcmu, Codec::kPcma, Codec::kG722}) {
    auto audio = CreateDepacketizer(codec);
    ASSERT_NE(audio, nullptr) << CodecName(codec);
    auto out = audio->Parse(payload);
    ASSERT_TRUE(out) << CodecName(codec);
    EXPECT_EQ(out->data, payload);
    EXPECT_TRUE(out->frame_start && out->keyframe);
    EXPECT_FALSE(audio->Parse({})) << CodecName(codec);
  }
}

}  // namespace
}  // namespace tessera::rtp
