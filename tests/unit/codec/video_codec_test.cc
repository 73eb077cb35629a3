// Round trips through the video encoders and decoders: the decoder's behaviour on what the
// encoders produce, and on damaged or oversized input.
#include <gtest/gtest.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/codec/video_encoder.h>
#include <tessera/rtp/h264_bitstream.h>

#include <algorithm>
#include <random>
#include <vector>

#include "unit/codec/video_test_util.h"

namespace tessera::codec {
namespace {

using rtp::Codec;

using testing::PsnrY;

VideoFrame Pattern(int w, int h, int index) { return testing::MovingPattern(w, h, index); }

rtp::EncodedFrame ToFrame(Codec codec, const EncodedPicture& p) {
  rtp::EncodedFrame f;
  f.data = p.data;
  f.codec = codec;
  f.keyframe = p.keyframe;
  f.rtp_timestamp = static_cast<uint32_t>(p.pts_90k);
  return f;
}

std::unique_ptr<VideoEncoder> Encoder(Codec codec, int w, int h) {
  auto enc = CreateVideoEncoder(codec, VideoEncoderConfig{.width = w, .height = h});
  EXPECT_TRUE(enc.ok()) << enc.status().ToString();
  return enc.ok() ? std::move(*enc) : nullptr;
}

std::unique_ptr<VideoDecoder> Decoder(Codec codec, VideoDecoderConfig config = {}) {
  auto dec = CreateVideoDecoder(codec, config);
  EXPECT_TRUE(dec.ok()) << dec.status().ToString();
  return dec.ok() ? std::move(*dec) : nullptr;
}

class VideoCodecRoundTrip : public ::testing::TestWithParam<Codec> {};

TEST_P(VideoCodecRoundTrip, EveryFrameDecodesAtSourceSizeAndQuality) {
  auto enc = Encoder(GetParam(), 640, 360);
  auto dec = Decoder(GetParam());
  ASSERT_TRUE(enc && dec);
  for (int i = 0; i < 30; ++i) {
    const VideoFrame src = Pattern(640, 360, i);
    auto pic = enc->Encode(src, false);
    ASSERT_TRUE(pic) << "frame " << i;
    EXPECT_EQ(pic->pts_90k, src.pts_90k);
    if (i == 0) {
      EXPECT_TRUE(pic->keyframe);
    }
    const DecodeResult r = dec->Decode(ToFrame(GetParam(), *pic));
    ASSERT_FALSE(r.error) << "frame " << i;
    ASSERT_TRUE(r.picture) << "frame " << i;
    EXPECT_EQ(r.picture.host()->width, 640);
    EXPECT_EQ(r.picture.host()->height, 360);
    EXPECT_EQ(r.picture.host()->pts_90k, src.pts_90k);
    EXPECT_GE(PsnrY(src, *r.picture.host()), 30.0) << "frame " << i;
  }
  EXPECT_EQ(dec->stats().decoded, 30u);
  EXPECT_EQ(dec->stats().errors, 0u);
}

TEST_P(VideoCodecRoundTrip, ForceKeyframeGivesKeyframeMidStream) {
  auto enc = Encoder(GetParam(), 640, 360);
  ASSERT_TRUE(enc);
  for (int i = 0; i < 12; ++i) {
    auto pic = enc->Encode(Pattern(640, 360, i), i == 7);
    ASSERT_TRUE(pic);
    EXPECT_EQ(pic->keyframe, i == 0 || i == 7) << "frame " << i;
  }
}

TEST_P(VideoCodecRoundTrip, RandomBytesAndTruncatedFramesAreErrors) {
  auto enc = Encoder(GetParam(), 640, 360);
  ASSERT_TRUE(enc);
  auto key = enc->Encode(Pattern(640, 360, 0), false);
  ASSERT_TRUE(key);
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    auto dec = Decoder(GetParam());
    ASSERT_TRUE(dec);
    rtp::EncodedFrame junk = ToFrame(GetParam(), *key);
    junk.data.resize(1 + rng() % 2000);
    for (auto& b : junk.data) b = static_cast<uint8_t>(rng());
    const DecodeResult r = dec->Decode(junk);
    EXPECT_TRUE(r.error) << "trial " << trial;
    EXPECT_TRUE(r.keyframe_needed);
    EXPECT_FALSE(r.picture);
  }
  auto dec = Decoder(GetParam());
  ASSERT_TRUE(dec);
  rtp::EncodedFrame truncated = ToFrame(GetParam(), *key);
  truncated.data.resize(truncated.data.size() / 3);
  const DecodeResult r = dec->Decode(truncated);
  EXPECT_TRUE(r.error);
  EXPECT_TRUE(r.keyframe_needed);
  rtp::EncodedFrame empty = ToFrame(GetParam(), *key);
  empty.data.clear();
  EXPECT_TRUE(dec->Decode(empty).error);
  // The decoder still works afterwards.
  const DecodeResult ok = dec->Decode(ToFrame(GetParam(), *key));
  EXPECT_FALSE(ok.error);
  EXPECT_TRUE(ok.picture);
}

TEST_P(VideoCodecRoundTrip, RejectsPicturesOverTheSizeCap) {
  auto enc = Encoder(GetParam(), 3840, 2160);
  auto dec = Decoder(GetParam(), VideoDecoderConfig{.max_width = 1920, .max_height = 1080});
  ASSERT_TRUE(enc && dec);
  auto pic = enc->Encode(Pattern(3840, 2160, 0), false);
  ASSERT_TRUE(pic);
  const DecodeResult r = dec->Decode(ToFrame(GetParam(), *pic));
  EXPECT_TRUE(r.error);
  EXPECT_FALSE(r.picture);
  EXPECT_EQ(dec->stats().too_large, 1u);
  EXPECT_EQ(dec->stats().errors, 1u);
}

TEST_P(VideoCodecRoundTrip, ResolutionChangeDecodesAtNewSize) {
  auto dec = Decoder(GetParam());
  auto big = Encoder(GetParam(), 640, 360);
  ASSERT_TRUE(dec && big);
  for (int i = 0; i < 10; ++i) {
    auto pic = big->Encode(Pattern(640, 360, i), false);
    ASSERT_TRUE(pic);
    const DecodeResult r = dec->Decode(ToFrame(GetParam(), *pic));
    ASSERT_TRUE(r.picture);
    EXPECT_EQ(r.picture.host()->width, 640);
  }
  auto small = Encoder(GetParam(), 320, 240);
  ASSERT_TRUE(small);
  for (int i = 10; i < 15; ++i) {
    const VideoFrame src = Pattern(320, 240, i);
    auto pic = small->Encode(src, i == 10);
    ASSERT_TRUE(pic);
    const DecodeResult r = dec->Decode(ToFrame(GetParam(), *pic));
    ASSERT_FALSE(r.error) << "frame " << i;
    ASSERT_TRUE(r.picture);
    EXPECT_EQ(r.picture.host()->width, 320);
    EXPECT_EQ(r.picture.host()->height, 240);
    EXPECT_EQ(r.picture.host()->y.size(), 320u * 240u);
    EXPECT_GE(PsnrY(src, *r.picture.host()), 30.0);
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, VideoCodecRoundTrip,
                         ::testing::Values(Codec::kH264, Codec::kVp8, Codec::kVp9),
                         [](const auto& info) { return std::string(rtp::CodecName(info.param)); });

TEST(H264Encoder, PutsSpsAndPpsBeforeEveryIdr) {
  auto enc = Encoder(Codec::kH264, 640, 360);
  ASSERT_TRUE(enc);
  int idrs = 0;
  for (int i = 0; i < 20; ++i) {
    auto pic = enc->Encode(Pattern(640, 360, i), i == 9);
    ASSERT_TRUE(pic);
    bool sps = false, pps = false, idr = false;
    for (auto nal : rtp::h264::SplitAnnexB(pic->data)) {
      const uint8_t type = rtp::h264::NalTypeOf(nal[0]);
      if (rtp::h264::Is(type, rtp::h264::NalType::kSps)) sps = true;
      if (rtp::h264::Is(type, rtp::h264::NalType::kPps)) pps = true;
      if (rtp::h264::Is(type, rtp::h264::NalType::kIdr)) {
        EXPECT_TRUE(sps && pps) << "frame " << i;
        idr = true;
      }
      if (rtp::h264::Is(type, rtp::h264::NalType::kSps)) {
        auto info = rtp::h264::ParseSps(nal);
        ASSERT_TRUE(info);
        EXPECT_EQ(info->profile_idc, 66);  // baseline
        EXPECT_EQ(info->width, 640);
        EXPECT_EQ(info->height, 360);
      }
    }
    EXPECT_EQ(idr, pic->keyframe) << "frame " << i;
    idrs += idr;
  }
  EXPECT_EQ(idrs, 2);
}

TEST(H264Encoder, MaxNalBytesKeepsEverySliceWithinOnePacketAndStillDecodes) {
  // A 1.5 Mbit/s 640x360 keyframe is tens of kilobytes: many slices of at most 1156 bytes.
  auto enc = CreateVideoEncoder(
      Codec::kH264, VideoEncoderConfig{.width = 640, .height = 360, .max_nal_bytes = 1156});
  ASSERT_TRUE(enc.ok()) << enc.status().ToString();
  auto dec = Decoder(Codec::kH264);
  size_t most_nals = 0;
  for (int i = 0; i < 10; ++i) {
    auto pic = (*enc)->Encode(Pattern(640, 360, i), i == 0);
    ASSERT_TRUE(pic);
    const auto nals = rtp::h264::SplitAnnexB(pic->data);
    most_nals = std::max(most_nals, nals.size());
    for (auto nal : nals) EXPECT_LE(nal.size(), 1156u) << "frame " << i;
    const VideoFrame src = Pattern(640, 360, i);
    const DecodeResult r = dec->Decode(ToFrame(Codec::kH264, *pic));
    ASSERT_FALSE(r.error) << "frame " << i;
    ASSERT_TRUE(r.picture) << "frame " << i;
    EXPECT_GE(PsnrY(src, *r.picture.host()), 30.0) << "frame " << i;
  }
  EXPECT_GT(most_nals, 4u);  // the keyframe really was cut into slices
}

TEST_P(VideoCodecRoundTrip, SetBitrateChangesFrameSizes) {
  auto enc = Encoder(GetParam(), 640, 360);
  ASSERT_TRUE(enc);
  auto bytes = [&](int from) {
    size_t n = 0;
    for (int i = from; i < from + 20; ++i) {
      auto pic = enc->Encode(Pattern(640, 360, i), false);
      EXPECT_TRUE(pic);
      if (pic && !pic->keyframe) n += pic->data.size();
    }
    return n;
  };
  const size_t high = bytes(0);
  enc->SetBitrate(150'000);
  bytes(20);  // let rate control settle
  const size_t low = bytes(40);
  EXPECT_LT(low * 3, high);
}

TEST(VideoCodecFactory, RejectsAudioCodecsAndBadConfigs) {
  EXPECT_FALSE(CreateVideoDecoder(Codec::kOpus).ok());
  EXPECT_FALSE(CreateVideoDecoder(Codec::kH264, {.max_width = 0}).ok());
  EXPECT_FALSE(CreateVideoEncoder(Codec::kPcmu, {.width = 640, .height = 360}).ok());
  EXPECT_FALSE(CreateVideoEncoder(Codec::kH264, {.width = 641, .height = 360}).ok());
  EXPECT_FALSE(CreateVideoEncoder(Codec::kVp8, {.width = 640, .height = 360, .fps = 0}).ok());
}

TEST(VideoEncoder, RejectsFramesOfTheWrongSize) {
  auto enc = Encoder(Codec::kH264, 640, 360);
  ASSERT_TRUE(enc);
  EXPECT_FALSE(enc->Encode(VideoFrame::Make(320, 240), false));
  VideoFrame short_planes = VideoFrame::Make(640, 360);
  short_planes.u.resize(10);
  EXPECT_FALSE(enc->Encode(short_planes, false));
  EXPECT_TRUE(enc->Encode(VideoFrame::Make(640, 360), false));
}

}  // namespace
}  // namespace tessera::codec
