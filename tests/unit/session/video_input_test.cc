#include <gtest/gtest.h>
#include <tessera/codec/video_encoder.h>
#include <tessera/session/video_input.h>

#include <algorithm>

#include "unit/codec/video_test_util.h"
#include "unit/codec/x264_test_util.h"

namespace tessera::session {
namespace {

// Encoded frames of a moving pattern, the first a keyframe.
std::vector<rtp::EncodedFrame> EncodeFrames(rtp::Codec codec, int count, int w = 320, int h = 180) {
  codec::VideoEncoderConfig ec;
  ec.width = w;
  ec.height = h;
  auto enc = codec::CreateVideoEncoder(codec, ec);
  EXPECT_TRUE(enc.ok());
  std::vector<rtp::EncodedFrame> frames;
  for (int i = 0; i < count; ++i) {
    auto pic = (*enc)->Encode(codec::testing::MovingPattern(w, h, i), false);
    EXPECT_TRUE(pic.has_value());
    rtp::EncodedFrame f;
    f.codec = codec;
    f.data = pic->data;
    f.keyframe = pic->keyframe;
    f.rtp_timestamp = static_cast<uint32_t>(pic->pts_90k);
    f.receive_time_us = 1000 + i;
    frames.push_back(std::move(f));
  }
  return frames;
}

class VideoInputTest : public ::testing::Test {
 protected:
  std::unique_ptr<VideoInput> Make(rtp::Codec codec, int max_fps = 60) {
    VideoInputConfig c;
    c.id = 7;
    c.name = "alice";
    c.codec = codec;
    c.max_fps = max_fps;
    auto in = VideoInput::Create(c, clock_);
    EXPECT_TRUE(in.ok()) << in.status().ToString();
    return std::move(*in);
  }
  // Feeds frames 1/30 s apart.
  void Feed(VideoInput& in, const std::vector<rtp::EncodedFrame>& frames, int* keyframe_asks) {
    for (const auto& f : frames) {
      clock_.AdvanceUs(33'333);
      if (in.Decode(f).keyframe_needed && keyframe_asks) ++*keyframe_asks;
    }
  }
  FakeClock clock_;
};

TEST_F(VideoInputTest, DecodesH264Vp8AndVp9IntoTheMailbox) {
  for (rtp::Codec codec : {rtp::Codec::kH264, rtp::Codec::kVp8, rtp::Codec::kVp9}) {
    auto in = Make(codec);
    Feed(*in, EncodeFrames(codec, 10), nullptr);
    const mixer::MailboxFrame f = in->mailbox()->Latest();
    ASSERT_TRUE(f.picture) << rtp::CodecName(codec);
    EXPECT_EQ(f.picture.host()->width, 320);
    EXPECT_EQ(f.picture.host()->height, 180);
    EXPECT_EQ(f.sequence, 10u);
    EXPECT_EQ(f.receive_time_us, 1009);
    EXPECT_EQ(in->stats().decoded, 10u);
    EXPECT_FALSE(in->stats().failed);
  }
}

TEST_F(VideoInputTest, AHardwareRoomsInputFallsBackToTheCpuDecoderAndSaysWhy) {
  VideoInputConfig c;
  c.id = 7;
  c.name = "alice";
  c.codec = rtp::Codec::kH264;
  // A device the hardware decoder cannot use (a test device without a context).
  c.hw_device = std::make_shared<codec::HwDevice>(codec::HwBackend::kCuda, nullptr, "test");
  auto in = VideoInput::Create(c, clock_);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_FALSE((*in)->stats().hw_decoder);
  EXPECT_FALSE((*in)->stats().hw_fallback.empty());
  Feed(**in, EncodeFrames(rtp::Codec::kH264, 5), nullptr);
  const mixer::MailboxFrame f = (*in)->mailbox()->Latest();
  ASSERT_TRUE(f.picture) << "the CPU decoder took over";
  EXPECT_EQ(f.picture.backend(), codec::HwBackend::kCpu);
  EXPECT_EQ((*in)->stats().decoded, 5u);
  EXPECT_EQ((*in)->stats().hw_decoded, 0u);
  // A reset (new SSRC) does not try the device again.
  (void)(*in)->Reset();
  EXPECT_FALSE((*in)->stats().hw_decoder);
}

TEST_F(VideoInputTest, CorruptFrameAsksForKeyframeAndKeepsLastGoodPicture) {
  auto in = Make(rtp::Codec::kH264);
  auto frames = EncodeFrames(rtp::Codec::kH264, 6);
  Feed(*in, {frames[0], frames[1]}, nullptr);
  const uint64_t good_sequence = in->mailbox()->Latest().sequence;

  rtp::EncodedFrame garbage = frames[2];
  for (size_t i = 0; i < garbage.data.size(); ++i) garbage.data[i] = static_cast<uint8_t>(i * 7);
  garbage.data.resize(std::min<size_t>(garbage.data.size(), 64));
  int asks = 0;
  Feed(*in, {garbage}, &asks);
  EXPECT_EQ(asks, 1);
  EXPECT_TRUE(in->stats().failed);
  // Once failed, delta frames are skipped (not decoded) until a keyframe, and each asks again.
  Feed(*in, {frames[3], frames[4]}, &asks);
  EXPECT_EQ(asks, 3);
  EXPECT_EQ(in->stats().waiting_keyframe, 2u);
  // The mailbox still holds a picture: the tile never turns black.
  EXPECT_TRUE(in->mailbox()->Latest().picture);
  EXPECT_GE(in->mailbox()->Latest().sequence, good_sequence);

  // A fresh keyframe recovers.
  auto again = EncodeFrames(rtp::Codec::kH264, 1);
  Feed(*in, again, nullptr);
  EXPECT_FALSE(in->stats().failed);
  EXPECT_GT(in->mailbox()->Latest().sequence, good_sequence);
}

TEST_F(VideoInputTest, StreamThatIsNotWhatItsPayloadTypeSaysFailsTheInputOnly) {
  // VP8 bitstream on an input configured for H.264.
  auto in = Make(rtp::Codec::kH264);
  auto vp8 = EncodeFrames(rtp::Codec::kVp8, 3);
  for (auto& f : vp8) f.codec = rtp::Codec::kH264;  // what the payload type claims
  int asks = 0;
  Feed(*in, vp8, &asks);
  EXPECT_FALSE(in->mailbox()->Latest().picture);
  EXPECT_EQ(asks, 3);
  EXPECT_EQ(in->stats().decoded, 0u);
}

TEST_F(VideoInputTest, DecoderWorkIsCappedPerSecond) {
  auto in = Make(rtp::Codec::kH264, /*max_fps=*/30);
  auto frames = EncodeFrames(rtp::Codec::kH264, 90);
  // 90 frames in one instant: the bucket holds one second's worth (30).
  for (const auto& f : frames) (void)in->Decode(f);
  EXPECT_EQ(in->stats().decoded, 30u);
  EXPECT_EQ(in->stats().rate_limited, 60u);
}

TEST_F(VideoInputTest, OversizedFramesAreDroppedBeforeDecoding) {
  VideoInputConfig c;
  c.id = 1;
  c.max_frame_bytes = 100;
  auto in = VideoInput::Create(c, clock_);
  ASSERT_TRUE(in.ok());
  rtp::EncodedFrame f;
  f.data.assign(101, 0);
  f.keyframe = true;
  EXPECT_TRUE((*in)->Decode(f).keyframe_needed);
  EXPECT_EQ((*in)->stats().oversized_frames, 1u);
}

TEST_F(VideoInputTest, ResolutionAboveTheCapIsRejected) {
  VideoInputConfig c;
  c.id = 1;
  c.decoder.max_width = 160;
  c.decoder.max_height = 120;
  auto in = VideoInput::Create(c, clock_);
  ASSERT_TRUE(in.ok());
  int asks = 0;
  Feed(**in, EncodeFrames(rtp::Codec::kH264, 3), &asks);
  EXPECT_FALSE((*in)->mailbox()->Latest().picture);
  EXPECT_GE((*in)->stats().too_large, 1u);
  EXPECT_GE(asks, 1);
}

TEST_F(VideoInputTest, ResetWaitsForAKeyframeOfTheNewStream) {
  auto in = Make(rtp::Codec::kH264);
  auto frames = EncodeFrames(rtp::Codec::kH264, 4);
  Feed(*in, frames, nullptr);
  EXPECT_TRUE(in->Reset().keyframe_needed);
  int asks = 0;
  Feed(*in, {frames[2], frames[3]}, &asks);  // delta frames of the old stream
  EXPECT_EQ(asks, 2);
  EXPECT_EQ(in->stats().decoded, 4u);
  Feed(*in, EncodeFrames(rtp::Codec::kH264, 1, 640, 360), nullptr);  // new size, keyframe
  EXPECT_EQ(in->mailbox()->Latest().picture.host()->width, 640);
}

// GStreamer's videotestsrc ! x264enc sends High 4:4:4 Predictive; x264enc bframes=2 (or any
// Main/High encoder with B-frames) gives the keyframe's picture only after later frames. Neither
// may leave the input failed and waiting for a keyframe.
TEST_F(VideoInputTest, High444AndBFrameStreamsShowPictures) {
  codec::testing::X264Stream high444;
  high444.pix_fmt = AV_PIX_FMT_YUV444P;
  codec::testing::X264Stream main_b;
  main_b.profile = "main";
  main_b.b_frames = 2;
  for (const auto& s : {high444, main_b}) {
    auto frames = codec::testing::EncodeX264(s, 20);
    if (frames.empty()) GTEST_SKIP() << "libavcodec lacks libx264";
    for (size_t i = 0; i < frames.size(); ++i) frames[i].receive_time_us = 5000 + 10 * i;
    auto in = Make(rtp::Codec::kH264);
    int asks = 0;
    int held_back = 0;
    for (size_t i = 0; i < frames.size(); ++i) {
      clock_.AdvanceUs(33'333);
      if (in->Decode(frames[i]).keyframe_needed) ++asks;
      const mixer::MailboxFrame f = in->mailbox()->Latest();
      if (!f.picture) continue;
      // The picture's receive time is its own frame's, not that of the later frame that let it
      // out of the reorder buffer.
      const auto own = std::find_if(frames.begin(), frames.end(), [&](const rtp::EncodedFrame& e) {
        return e.rtp_timestamp == static_cast<uint32_t>(f.picture.pts_90k());
      });
      ASSERT_NE(own, frames.end());
      EXPECT_EQ(f.receive_time_us, own->receive_time_us) << "frame " << i;
      if (own != frames.begin() + static_cast<ptrdiff_t>(i)) ++held_back;
    }
    const VideoInputStats& st = in->stats();
    EXPECT_EQ(asks, 0) << s.b_frames;
    EXPECT_EQ(st.errors, 0u) << s.b_frames;
    EXPECT_EQ(st.waiting_keyframe, 0u) << s.b_frames;
    EXPECT_EQ(st.bad_format, 0u) << s.b_frames;
    EXPECT_FALSE(st.failed) << s.b_frames;
    EXPECT_GE(st.decoded, frames.size() - 2) << s.b_frames;
    EXPECT_EQ(st.width, 160);
    EXPECT_EQ(st.height, 96);
    if (s.b_frames > 0) {
      EXPECT_GT(held_back, 0) << "no picture came out after its own frame";
    } else {
      EXPECT_EQ(held_back, 0);
    }
  }
}

}  // namespace
}  // namespace tessera::session
