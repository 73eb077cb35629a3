#include "loadgen/frame_code.h"

#include <gtest/gtest.h>
#include <tessera/codec/libav_log.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/codec/video_encoder.h>
#include <tessera/mixer/cpu_compositor.h>
#include <tessera/mixer/layout.h>

#include <bit>
#include <vector>

#include "loadgen/clip.h"
#include "loadgen/test_pattern.h"

namespace tessera::loadgen {
namespace {

TEST(FrameCode, GrayCodeChangesOneBitPerStepAndInverts) {
  for (uint32_t v = 0; v + 1 < kFrameCodeValues; ++v) {
    EXPECT_EQ(std::popcount(ToGray(v) ^ ToGray(v + 1)), 1) << v;
    EXPECT_EQ(FromGray(ToGray(v)), v);
  }
}

TEST(FrameCode, ReadsBackEveryValueFromTheRawPicture) {
  for (uint32_t v = 0; v < kFrameCodeValues; ++v) {
    const codec::VideoFrame f = MakeTestPicture(640, 360, 30, v);
    ASSERT_EQ(ReadFrameCode(f, Unscaled(640, 360)), v);
  }
}

TEST(FrameCode, ValuesWrapAtTheCodeRange) {
  const codec::VideoFrame f = MakeTestPicture(320, 180, 30, kFrameCodeValues + 5);
  EXPECT_EQ(ReadFrameCode(f, Unscaled(320, 180)), 5u);
}

TEST(FrameCode, FlatPictureIsUnreadable) {
  codec::VideoFrame f = codec::VideoFrame::Make(640, 360);
  EXPECT_EQ(ReadFrameCode(f, Unscaled(640, 360)), std::nullopt);
}

TEST(FrameCode, RowsThatDisagreeAreUnreadableNotWrong) {
  codec::VideoFrame a = MakeTestPicture(640, 360, 30, 100);
  const codec::VideoFrame b = MakeTestPicture(640, 360, 30, 613);
  // The second row (y 50%..70%) from another value.
  for (int y = 180; y < 252; ++y) {
    std::copy_n(b.y.begin() + y * 640, 640, a.y.begin() + y * 640);
  }
  EXPECT_EQ(ReadFrameCode(a, Unscaled(640, 360)), std::nullopt);
}

TEST(FrameCode, CodeCroppedAwayIsUnreadable) {
  const codec::VideoFrame f = MakeTestPicture(640, 360, 30, 7);
  // Only the left half of the source is visible.
  Placement p{640, 360, {0, 0, 320, 360}, {0, 0, 320, 360}};
  EXPECT_EQ(ReadFrameCode(f, p), std::nullopt);
}

TEST(FrameCode, PlacementOutsideTheCanvasIsUnreadable) {
  const codec::VideoFrame f = MakeTestPicture(640, 360, 30, 7);
  Placement p{640, 360, {0, 0, 640, 360}, {320, 0, 640, 360}};
  EXPECT_EQ(ReadFrameCode(f, p), std::nullopt);
}

struct PipelineCounts {
  int correct = 0;
  int wrong = 0;
  int unreadable = 0;
};

// The path a frame takes through Tessera: encoded by a camera (the clip), decoded, scaled into
// every tile of a 3x3 grid, the canvas encoded and decoded by the viewer; each tile read back.
PipelineCounts ThroughTheMixer(rtp::Codec input_codec, int input_bps, int canvas_w, int canvas_h,
                               rtp::Codec output_codec, int output_bps, mixer::FitPolicy fit) {
  codec::RouteLibavLogsToSpdlog();
  VideoClipConfig cc;
  cc.codec = input_codec;
  cc.bitrate_bps = input_bps;
  cc.frames = 96;
  auto clip = EncodeVideoClip(cc);
  EXPECT_TRUE(clip.ok()) << clip.status().ToString();
  auto in_decoder = codec::CreateVideoDecoder(input_codec);
  codec::VideoEncoderConfig ec;
  ec.width = canvas_w;
  ec.height = canvas_h;
  ec.bitrate_bps = output_bps;
  auto out_encoder = codec::CreateVideoEncoder(output_codec, ec);
  auto out_decoder = codec::CreateVideoDecoder(output_codec);
  EXPECT_TRUE(in_decoder.ok() && out_encoder.ok() && out_decoder.ok());
  PipelineCounts counts;
  if (!clip.ok() || !in_decoder.ok() || !out_encoder.ok() || !out_decoder.ok()) return counts;

  std::vector<mixer::LayoutInput> inputs;
  for (uint32_t id = 1; id <= 9; ++id) inputs.push_back({id, cc.width, cc.height});
  mixer::LayoutSpec spec;
  spec.fit = fit;
  spec.border_px = 2;
  const auto tiles = mixer::ComputeLayout(spec, canvas_w, canvas_h, inputs, std::nullopt);
  EXPECT_EQ(tiles.size(), 9u);
  mixer::CpuCompositor compositor;
  mixer::ComposeOptions options;
  options.border_px = 2;
  codec::VideoFrame canvas = codec::VideoFrame::Make(canvas_w, canvas_h);
  for (size_t i = 0; i < clip->frames.size(); ++i) {
    const auto& picture = clip->frames[i];
    rtp::EncodedFrame in{picture.data, input_codec, static_cast<uint32_t>(picture.pts_90k),
                         picture.keyframe};
    auto decoded = (*in_decoder)->Decode(in);
    EXPECT_TRUE(static_cast<bool>(decoded.picture)) << i;
    if (!decoded.picture) continue;
    std::vector<const mixer::I420Frame*> pictures(tiles.size(), decoded.picture.host());
    (void)compositor.Compose(tiles, pictures, canvas, options);
    canvas.pts_90k = picture.pts_90k;
    auto encoded = (*out_encoder)->Encode(canvas, false);
    EXPECT_TRUE(encoded.has_value());
    if (!encoded) continue;
    rtp::EncodedFrame out{encoded->data, output_codec, static_cast<uint32_t>(encoded->pts_90k),
                          encoded->keyframe};
    auto shown = (*out_decoder)->Decode(out);
    EXPECT_TRUE(static_cast<bool>(shown.picture));
    if (!shown.picture) continue;
    for (const auto& tile : tiles) {
      const auto value =
          ReadFrameCode(*shown.picture.host(), Placement{cc.width, cc.height, tile.src, tile.dest});
      if (!value) {
        ++counts.unreadable;
      } else if (*value == i) {
        ++counts.correct;
      } else {
        ++counts.wrong;
      }
    }
  }
  return counts;
}

// 96 frames x 9 tiles.
constexpr int kTiles = 96 * 9;

TEST(FrameCode, SurvivesH264At300kbpsAndAThreeFoldDownscale) {
  // A 3x3 grid on a 640x360 canvas: every tile is a third of the input's size.
  const auto c = ThroughTheMixer(rtp::Codec::kH264, 300'000, 640, 360, rtp::Codec::kH264, 400'000,
                                 mixer::FitPolicy::kLetterbox);
  EXPECT_EQ(c.wrong, 0);
  EXPECT_GE(c.correct, kTiles * 98 / 100) << "unreadable " << c.unreadable;
}

TEST(FrameCode, SurvivesTheDefaultRoomH264To720pWithCrop) {
  const auto c = ThroughTheMixer(rtp::Codec::kH264, 300'000, 1280, 720, rtp::Codec::kH264,
                                 1'500'000, mixer::FitPolicy::kCrop);
  EXPECT_EQ(c.wrong, 0);
  EXPECT_GE(c.correct, kTiles * 99 / 100) << "unreadable " << c.unreadable;
}

TEST(FrameCode, SurvivesVp8InAndOut) {
  const auto c = ThroughTheMixer(rtp::Codec::kVp8, 300'000, 640, 360, rtp::Codec::kVp8, 400'000,
                                 mixer::FitPolicy::kLetterbox);
  EXPECT_EQ(c.wrong, 0);
  EXPECT_GE(c.correct, kTiles * 98 / 100) << "unreadable " << c.unreadable;
}

}  // namespace
}  // namespace tessera::loadgen
