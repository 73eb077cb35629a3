// The CPU decoder on H.264 streams as other senders make them: Main and High, High 10,
// High 4:2:2 and High 4:4:4 Predictive (what GStreamer's videotestsrc ! x264enc sends),
// monochrome, B-frames; and what stays refused (RGB, oversized pictures).
#include <gtest/gtest.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/rtp/h264_bitstream.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "unit/codec/x264_test_util.h"

namespace tessera::codec {
namespace {

using testing::EncodeX264;
using testing::X264Luma;
using testing::X264Stream;

std::unique_ptr<VideoDecoder> Decoder(VideoDecoderConfig config = {}) {
  auto dec = CreateVideoDecoder(rtp::Codec::kH264, config);
  EXPECT_TRUE(dec.ok()) << dec.status().ToString();
  return dec.ok() ? std::move(*dec) : nullptr;
}

// PSNR in dB of a picture's luma against X264Luma's picture `index`.
double LumaPsnr(const VideoFrame& f, int index) {
  double se = 0;
  for (int y = 0; y < f.height; ++y) {
    for (int x = 0; x < f.width; ++x) {
      const double d =
          static_cast<double>(f.y[static_cast<size_t>(y) * f.stride_y + x]) - X264Luma(x, y, index);
      se += d * d;
    }
  }
  const double mse = se / (static_cast<double>(f.width) * f.height);
  return mse == 0 ? 99.0 : 10 * std::log10(255.0 * 255.0 / mse);
}

double Mean(const std::vector<uint8_t>& plane) {
  double sum = 0;
  for (uint8_t s : plane) sum += s;
  return sum / static_cast<double>(plane.size());
}

// The SPS of an access unit, parsed.
std::optional<rtp::h264::SpsInfo> SpsOf(const rtp::EncodedFrame& f) {
  for (auto nal : rtp::h264::SplitAnnexB(f.data)) {
    if (rtp::h264::Is(rtp::h264::NalTypeOf(nal[0]), rtp::h264::NalType::kSps)) {
      return rtp::h264::ParseSps(nal);
    }
  }
  return std::nullopt;
}

struct ProfileCase {
  const char* name;
  AVPixelFormat pix_fmt;
  const char* profile;  // "" lets x264 choose from the format
  uint8_t profile_idc;
  bool monochrome;
};

class DecoderProfiles : public ::testing::TestWithParam<ProfileCase> {};

TEST_P(DecoderProfiles, EveryFrameDecodesToI420OfTheSentPicture) {
  const ProfileCase& c = GetParam();
  X264Stream s;
  s.pix_fmt = c.pix_fmt;
  s.profile = c.profile;
  const auto frames = EncodeX264(s, 10);
  if (frames.empty()) GTEST_SKIP() << "libavcodec's libx264 does not encode " << c.name;
  ASSERT_EQ(frames.size(), 10u);
  ASSERT_TRUE(frames[0].keyframe);
  const auto sps = SpsOf(frames[0]);
  ASSERT_TRUE(sps) << "the keyframe's SPS does not parse";
  EXPECT_EQ(sps->profile_idc, c.profile_idc);
  EXPECT_EQ(sps->width, 160);
  EXPECT_EQ(sps->height, 96);

  auto dec = Decoder();
  ASSERT_TRUE(dec);
  for (size_t i = 0; i < frames.size(); ++i) {
    const DecodeResult r = dec->Decode(frames[i]);
    ASSERT_FALSE(r.error) << c.name << " frame " << i;
    ASSERT_TRUE(r.picture) << c.name << " frame " << i;
    ASSERT_NE(r.picture.host(), nullptr);
    const VideoFrame& p = *r.picture.host();
    ASSERT_TRUE(p.Valid());
    EXPECT_EQ(p.width, 160);
    EXPECT_EQ(p.height, 96);
    EXPECT_EQ(p.pts_90k, frames[i].rtp_timestamp);
    EXPECT_GE(LumaPsnr(p, static_cast<int>(i)), 35.0) << c.name << " frame " << i;
    EXPECT_NEAR(Mean(p.u), c.monochrome ? 128 : s.u, 2.0) << c.name << " frame " << i;
    EXPECT_NEAR(Mean(p.v), c.monochrome ? 128 : s.v, 2.0) << c.name << " frame " << i;
  }
  EXPECT_EQ(dec->stats().decoded, 10u);
  EXPECT_EQ(dec->stats().errors, 0u);
  EXPECT_EQ(dec->stats().bad_format, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    H264, DecoderProfiles,
    ::testing::Values(ProfileCase{"main", AV_PIX_FMT_YUV420P, "main", 77, false},
                      ProfileCase{"high", AV_PIX_FMT_YUV420P, "high", 100, false},
                      ProfileCase{"high10", AV_PIX_FMT_YUV420P10, "", 110, false},
                      ProfileCase{"high422", AV_PIX_FMT_YUV422P, "", 122, false},
                      ProfileCase{"high444", AV_PIX_FMT_YUV444P, "", 244, false},
                      ProfileCase{"high444_10", AV_PIX_FMT_YUV444P10, "", 244, false},
                      ProfileCase{"monochrome", AV_PIX_FMT_GRAY8, "", 100, true}),
    [](const ::testing::TestParamInfo<ProfileCase>& info) { return info.param.name; });

// x264enc with bframes=2 (GStreamer) or libx264's default: frames arrive in decode order, and
// each picture must be shown once, in presentation order, at a steady one per frame.
TEST(DecoderBFrames, EveryPictureComesOnceInPresentationOrderWithoutGaps) {
  X264Stream s;
  s.profile = "main";
  s.b_frames = 2;
  s.gop = 12;  // IDRs mid-stream too
  const auto frames = EncodeX264(s, 30);
  if (frames.empty()) GTEST_SKIP() << "libavcodec lacks libx264";
  ASSERT_EQ(frames.size(), 30u);
  bool reordered = false;
  for (size_t i = 1; i < frames.size(); ++i) {
    reordered |= frames[i].rtp_timestamp < frames[i - 1].rtp_timestamp;
  }
  ASSERT_TRUE(reordered) << "no B-frames in the stream";
  ASSERT_TRUE(frames[0].keyframe);

  auto dec = Decoder();
  ASSERT_TRUE(dec);
  std::vector<int64_t> shown;
  for (size_t i = 0; i < frames.size(); ++i) {
    const DecodeResult r = dec->Decode(frames[i]);
    // The keyframe's picture waits in the reorder buffer: that is no error.
    ASSERT_FALSE(r.error) << "frame " << i;
    ASSERT_FALSE(r.keyframe_needed) << "frame " << i;
    if (!r.picture) {
      EXPECT_TRUE(shown.empty()) << "frame " << i << " gave no picture mid-stream (a stutter)";
      continue;
    }
    shown.push_back(r.picture.host()->pts_90k);
    // The picture is the one its timestamp says.
    EXPECT_GE(LumaPsnr(*r.picture.host(), static_cast<int>(r.picture.host()->pts_90k / 3000)), 35.0)
        << "frame " << i;
  }
  // At most the reorder depth (x264: 2 with B-pyramid) still waits for frames that never come.
  ASSERT_GE(shown.size(), frames.size() - 2);
  for (size_t k = 0; k < shown.size(); ++k) EXPECT_EQ(shown[k], static_cast<int64_t>(3000 * k));
  EXPECT_EQ(dec->stats().decoded, shown.size());
  EXPECT_EQ(dec->stats().errors, 0u);
}

TEST(DecoderBFrames, HighWithBFramesFrom444SourceDecodesToo) {
  X264Stream s;
  s.pix_fmt = AV_PIX_FMT_YUV444P;
  s.b_frames = 3;
  const auto frames = EncodeX264(s, 12);
  if (frames.empty()) GTEST_SKIP() << "libavcodec lacks libx264";
  auto dec = Decoder();
  ASSERT_TRUE(dec);
  size_t pictures = 0;
  for (const auto& f : frames) {
    const DecodeResult r = dec->Decode(f);
    ASSERT_FALSE(r.error);
    if (r.picture) ++pictures;
  }
  EXPECT_GE(pictures, frames.size() - 2);
  EXPECT_EQ(dec->stats().errors, 0u);
}

// Bad input stays bad, with its reason counted: an RGB stream (libx264rgb: High 4:4:4
// Predictive with the GBR matrix, which libavcodec decodes to gbrp) and pictures over the cap.
TEST(DecoderProfilesRefused, RgbStreamIsCountedAsBadFormat) {
  X264Stream s;
  s.encoder = "libx264rgb";
  s.pix_fmt = AV_PIX_FMT_BGR24;
  const auto frames = EncodeX264(s, 2);
  if (frames.empty()) GTEST_SKIP() << "libavcodec lacks libx264rgb";
  auto dec = Decoder();
  ASSERT_TRUE(dec);
  const DecodeResult r = dec->Decode(frames[0]);
  EXPECT_TRUE(r.error);
  EXPECT_TRUE(r.keyframe_needed);
  EXPECT_FALSE(r.picture);
  EXPECT_EQ(dec->stats().bad_format, 1u);
  EXPECT_EQ(dec->stats().errors, 1u);
}

TEST(DecoderProfilesRefused, High444AboveTheSizeCapIsTooLarge) {
  X264Stream s;
  s.pix_fmt = AV_PIX_FMT_YUV444P;
  s.width = 640;
  s.height = 480;
  const auto frames = EncodeX264(s, 1);
  if (frames.empty()) GTEST_SKIP() << "libavcodec lacks libx264";
  auto dec = Decoder(VideoDecoderConfig{.max_width = 320, .max_height = 240});
  ASSERT_TRUE(dec);
  const DecodeResult r = dec->Decode(frames[0]);
  EXPECT_TRUE(r.error);
  EXPECT_FALSE(r.picture);
  EXPECT_EQ(dec->stats().too_large, 1u);
  EXPECT_EQ(dec->stats().bad_format, 0u);
}

}  // namespace
}  // namespace tessera::codec
