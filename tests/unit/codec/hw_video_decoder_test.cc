// Hardware decoders: clean refusals without a device (every machine), and on a device, the same
// pictures as the CPU decoder (GPU machines; skipped, saying why, elsewhere).
#include <gtest/gtest.h>
#include <tessera/codec/hw_transfer.h>
#include <tessera/codec/hw_video_decoder.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/codec/video_encoder.h>

#include <random>
#include <string>
#include <vector>

#include "unit/codec/hw_test_util.h"
#include "unit/codec/video_test_util.h"

namespace tessera::codec {
namespace {

using rtp::Codec;

std::vector<rtp::EncodedFrame> EncodeClip(Codec codec, int w, int h, int frames) {
  std::vector<rtp::EncodedFrame> out;
  auto enc = CreateVideoEncoder(codec, VideoEncoderConfig{.width = w, .height = h});
  EXPECT_TRUE(enc.ok()) << enc.status().ToString();
  if (!enc.ok()) return out;
  for (int i = 0; i < frames; ++i) {
    auto pic = (*enc)->Encode(testing::MovingPattern(w, h, i), false);
    EXPECT_TRUE(pic) << "frame " << i;
    if (!pic) break;
    rtp::EncodedFrame f;
    f.data = std::move(pic->data);
    f.codec = codec;
    f.keyframe = pic->keyframe;
    f.rtp_timestamp = static_cast<uint32_t>(pic->pts_90k);
    out.push_back(std::move(f));
  }
  return out;
}

TEST(CreateHwVideoDecoder, WithoutADeviceIsUnavailableWithTheReason) {
  for (HwBackend backend : {HwBackend::kCuda, HwBackend::kQsv}) {
    for (Codec codec : {Codec::kH264, Codec::kVp8, Codec::kVp9}) {
      auto dec = CreateHwVideoDecoder(codec, backend, nullptr);
      ASSERT_FALSE(dec.ok());
      EXPECT_EQ(dec.status().code(), StatusCode::kUnavailable);
      EXPECT_EQ(dec.status().message(), std::string("no ") + HwBackendName(backend) + " device");
    }
  }
}

TEST(CreateHwVideoDecoder, RefusesCallerErrorsBeforeLookingAtTheDevice) {
  EXPECT_EQ(CreateHwVideoDecoder(Codec::kOpus, HwBackend::kCuda, nullptr).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateHwVideoDecoder(Codec::kH264, HwBackend::kCpu, nullptr).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateHwVideoDecoder(Codec::kH264, HwBackend::kCuda, nullptr, {.max_width = 0})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  AvBufferRefPtr qsv(av_hwdevice_ctx_alloc(AV_HWDEVICE_TYPE_QSV));
  EXPECT_EQ(CreateHwVideoDecoder(Codec::kH264, HwBackend::kCuda, qsv.get()).status().code(),
            StatusCode::kInvalidArgument);
}

class HwDecoderOnDevice : public ::testing::TestWithParam<HwBackend> {
 protected:
  void SetUp() override {
    opened_ = testing::OpenHwDevice(GetParam());
    if (!opened_.device) GTEST_SKIP() << opened_.reason;
  }

  std::unique_ptr<VideoDecoder> Decoder(Codec codec, VideoDecoderConfig config = {}) {
    auto dec = CreateHwVideoDecoder(codec, GetParam(), opened_.device.get(), config);
    EXPECT_TRUE(dec.ok()) << dec.status().ToString();
    return dec.ok() ? std::move(*dec) : nullptr;
  }

  testing::OpenedDevice opened_;
};

// H.264 decoding is bit-exact, so NVDEC's and QSV's pictures equal libavcodec's.
TEST_P(HwDecoderOnDevice, H264PicturesMatchTheCpuDecoder) {
  const auto clip = EncodeClip(Codec::kH264, 640, 360, 30);
  ASSERT_EQ(clip.size(), 30u);
  auto hw = Decoder(Codec::kH264);
  auto cpu = CreateVideoDecoder(Codec::kH264);
  ASSERT_TRUE(hw && cpu.ok());
  int compared = 0;
  for (size_t i = 0; i < clip.size(); ++i) {
    const DecodeResult c = (*cpu)->Decode(clip[i]);
    ASSERT_TRUE(c.picture) << "frame " << i;
    const DecodeResult h = hw->Decode(clip[i]);
    ASSERT_FALSE(h.error) << "frame " << i;
    if (!h.picture) continue;  // QSV's pipeline: the picture comes with the next frame
    ASSERT_NE(h.picture.device(), nullptr) << "frame " << i;
    const DeviceVideoFrame& frame = *h.picture.device();
    EXPECT_EQ(frame.backend(), GetParam());
    EXPECT_EQ(frame.width(), 640);
    EXPECT_EQ(frame.height(), 360);
    if (GetParam() == HwBackend::kCuda) {
      EXPECT_EQ(frame.pts_90k(), clip[i].rtp_timestamp);
      const auto view = frame.cuda_view();
      ASSERT_TRUE(view);
      EXPECT_TRUE(view->Valid());
    }
    auto host = DownloadToI420(frame);
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    if (frame.pts_90k() == c.picture.host()->pts_90k) {
      EXPECT_GE(testing::PsnrY(*c.picture.host(), *host), 45.0) << "frame " << i;
      EXPECT_EQ(host->u, c.picture.host()->u) << "frame " << i;
      ++compared;
    }
  }
  EXPECT_GE(compared, 28);
  EXPECT_GE(hw->stats().decoded, 29u);
  EXPECT_EQ(hw->stats().errors, 0u);
}

TEST_P(HwDecoderOnDevice, GarbageIsAnErrorAndTheNextKeyframeRecovers) {
  const auto clip = EncodeClip(Codec::kH264, 640, 360, 2);
  ASSERT_EQ(clip.size(), 2u);
  auto hw = Decoder(Codec::kH264);
  ASSERT_TRUE(hw);
  std::mt19937 rng(7);
  rtp::EncodedFrame junk = clip[1];
  for (auto& b : junk.data) b = static_cast<uint8_t>(rng());
  const DecodeResult bad = hw->Decode(junk);
  EXPECT_TRUE(bad.error);
  EXPECT_TRUE(bad.keyframe_needed);
  EXPECT_FALSE(bad.unsupported);
  EXPECT_TRUE(hw->Decode(rtp::EncodedFrame{}).error);
  bool recovered = false;
  for (int i = 0; i < 3 && !recovered; ++i) {
    const DecodeResult r = hw->Decode(clip[0]);
    recovered = !r.error && static_cast<bool>(r.picture);
  }
  EXPECT_TRUE(recovered);
  EXPECT_GE(hw->stats().errors, 2u);
}

TEST_P(HwDecoderOnDevice, OversizedStreamIsRefusedBeforeDecoding) {
  const auto clip = EncodeClip(Codec::kH264, 640, 360, 1);
  ASSERT_EQ(clip.size(), 1u);
  auto hw = Decoder(Codec::kH264, {.max_width = 320, .max_height = 180});
  ASSERT_TRUE(hw);
  const DecodeResult r = hw->Decode(clip[0]);
  EXPECT_TRUE(r.error);
  EXPECT_EQ(hw->stats().too_large, 1u);
}

// Not every GPU decodes VP8 (NVDEC on the H100 does not): either way the answer is clean, and an
// unsupported stream stays unsupported so the caller moves the input to the CPU decoder.
TEST_P(HwDecoderOnDevice, Vp8DecodesOrSaysUnsupported) {
  const auto clip = EncodeClip(Codec::kVp8, 640, 360, 5);
  ASSERT_EQ(clip.size(), 5u);
  auto dec = CreateHwVideoDecoder(Codec::kVp8, GetParam(), opened_.device.get());
  if (!dec.ok()) {
    EXPECT_EQ(dec.status().code(), StatusCode::kUnavailable);
    GTEST_SKIP() << dec.status().ToString();
  }
  const DecodeResult first = (*dec)->Decode(clip[0]);
  if (first.unsupported) {
    EXPECT_TRUE(first.error);
    EXPECT_TRUE((*dec)->Decode(clip[1]).unsupported);
    GTEST_SKIP() << "VP8 is not decoded by this device";
  }
  int pictures = first.picture ? 1 : 0;
  for (size_t i = 1; i < clip.size(); ++i) {
    const DecodeResult r = (*dec)->Decode(clip[i]);
    EXPECT_FALSE(r.error) << "frame " << i;
    pictures += r.picture ? 1 : 0;
  }
  EXPECT_GE(pictures, 4);
}

// VP9 (profile 0, as the room's encoder makes it) through NVDEC or Quick Sync where the device
// has VP9 decode, else a clean unsupported or unavailable answer.
TEST_P(HwDecoderOnDevice, Vp9DecodesOrSaysUnsupported) {
  const auto clip = EncodeClip(Codec::kVp9, 640, 360, 5);
  ASSERT_EQ(clip.size(), 5u);
  auto dec = CreateHwVideoDecoder(Codec::kVp9, GetParam(), opened_.device.get());
  if (!dec.ok()) {
    EXPECT_EQ(dec.status().code(), StatusCode::kUnavailable);
    GTEST_SKIP() << dec.status().ToString();
  }
  const DecodeResult first = (*dec)->Decode(clip[0]);
  if (first.unsupported) {
    EXPECT_TRUE(first.error);
    GTEST_SKIP() << "VP9 is not decoded by this device";
  }
  int pictures = first.picture ? 1 : 0;
  for (size_t i = 1; i < clip.size(); ++i) {
    const DecodeResult r = (*dec)->Decode(clip[i]);
    EXPECT_FALSE(r.error) << "frame " << i;
    if (r.picture) {
      EXPECT_EQ(r.picture.backend(), GetParam());
      EXPECT_EQ(r.picture.width(), 640);
      EXPECT_EQ(r.picture.height(), 360);
    }
    pictures += r.picture ? 1 : 0;
  }
  EXPECT_GE(pictures, 4);
}

INSTANTIATE_TEST_SUITE_P(Backends, HwDecoderOnDevice,
                         ::testing::Values(HwBackend::kCuda, HwBackend::kQsv),
                         [](const auto& info) { return std::string(HwBackendName(info.param)); });

}  // namespace
}  // namespace tessera::codec
