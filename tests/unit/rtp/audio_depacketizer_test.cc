#include "rtp/audio_depacketizer.h"

#include <gtest/gtest.h>

#include <vector>

namespace tessera::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(AudioDepacketizer, PassesFrameThroughAsIndependentFrame) {
  AudioDepacketizer d;
  const Bytes opus = {0xFC, 0xFF, 0xFE};  // TOC: CELT FB 20 ms, one frame
  auto out = d.Parse(opus);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->data, opus);
  EXPECT_TRUE(out->frame_start);
  EXPECT_TRUE(out->keyframe);
  EXPECT_FALSE(out->has_parameter_sets);
  EXPECT_EQ(out->width, 0);
}

TEST(AudioDepacketizer, PassesG711FrameOfTwentyMilliseconds) {
  AudioDepacketizer d;
  const Bytes pcmu(160, 0xFF);  // 20 ms of silence at 8 kHz
  auto out = d.Parse(pcmu);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->data, pcmu);
}

TEST(AudioDepacketizer, RejectsEmptyPayload) {
  AudioDepacketizer d;
  EXPECT_FALSE(d.Parse({}));
}

}  // namespace
}  // namespace tessera::rtp
