// Hardware H.264 encoders: clean refusals without a device (every machine); on a device with an
// encoder, a stream the CPU decoder plays, keyframes on demand with SPS/PPS, constrained baseline
// (GPU machines; skipped, saying why, elsewhere and on GPUs without NVENC).
#include <gtest/gtest.h>
#include <tessera/codec/hw_transfer.h>
#include <tessera/codec/hw_video_encoder.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/rtp/h264_bitstream.h>

#include <string>

#include "unit/codec/hw_test_util.h"
#include "unit/codec/video_test_util.h"

namespace tessera::codec {
namespace {

namespace h264 = rtp::h264;

const VideoEncoderConfig kConfig{.width = 640, .height = 360, .bitrate_bps = 1'000'000};

TEST(CreateHwVideoEncoder, WithoutADeviceIsUnavailableWithTheReason) {
  for (HwBackend backend : {HwBackend::kCuda, HwBackend::kQsv}) {
    auto enc = CreateHwVideoEncoder(backend, nullptr, kConfig);
    ASSERT_FALSE(enc.ok());
    EXPECT_EQ(enc.status().code(), StatusCode::kUnavailable);
    EXPECT_EQ(enc.status().message(), std::string("no ") + HwBackendName(backend) + " device");
  }
}

TEST(CreateHwVideoEncoder, RefusesCallerErrorsBeforeLookingAtTheDevice) {
  EXPECT_EQ(CreateHwVideoEncoder(HwBackend::kCpu, nullptr, kConfig).status().code(),
            StatusCode::kInvalidArgument);
  VideoEncoderConfig odd = kConfig;
  odd.width = 641;
  EXPECT_EQ(CreateHwVideoEncoder(HwBackend::kCuda, nullptr, odd).status().code(),
            StatusCode::kInvalidArgument);
  VideoEncoderConfig slow = kConfig;
  slow.bitrate_bps = 1000;
  EXPECT_EQ(CreateHwVideoEncoder(HwBackend::kQsv, nullptr, slow).status().code(),
            StatusCode::kInvalidArgument);
  AvBufferRefPtr qsv(av_hwdevice_ctx_alloc(AV_HWDEVICE_TYPE_QSV));
  EXPECT_EQ(CreateHwVideoEncoder(HwBackend::kCuda, qsv.get(), kConfig).status().code(),
            StatusCode::kInvalidArgument);
}

class HwEncoderOnDevice : public ::testing::TestWithParam<HwBackend> {
 protected:
  void SetUp() override {
    opened_ = testing::OpenHwDevice(GetParam());
    if (!opened_.device) GTEST_SKIP() << opened_.reason;
    auto enc = CreateHwVideoEncoder(GetParam(), opened_.device.get(), kConfig);
    if (!enc.ok()) {
      // The H100 and H200 have no NVENC: the fallback path, not a failure.
      ASSERT_EQ(enc.status().code(), StatusCode::kUnavailable);
      GTEST_SKIP() << enc.status().ToString();
    }
    encoder_ = std::move(*enc);
  }

  // Uploads the moving pattern's frame `index` into a canvas and encodes it.
  std::optional<EncodedPicture> EncodePattern(int index, bool force_keyframe) {
    auto canvas = encoder_->AcquireCanvas();
    EXPECT_TRUE(canvas.ok()) << canvas.status().ToString();
    if (!canvas.ok()) return std::nullopt;
    const Status up = UploadI420(testing::MovingPattern(640, 360, index), **canvas);
    EXPECT_TRUE(up.ok()) << up.ToString();
    return encoder_->Encode(Picture(std::shared_ptr<const DeviceVideoFrame>(*canvas)),
                            force_keyframe);
  }

  testing::OpenedDevice opened_;
  std::unique_ptr<VideoEncoder> encoder_;
};

TEST_P(HwEncoderOnDevice, CpuDecoderPlaysTheStreamAtSourceQuality) {
  auto dec = CreateVideoDecoder(rtp::Codec::kH264);
  ASSERT_TRUE(dec.ok());
  int decoded = 0;
  for (int i = 0; i < 30; ++i) {
    auto pic = EncodePattern(i, false);
    if (!pic) continue;  // QSV may hold the first frame back
    rtp::EncodedFrame f;
    f.data = pic->data;
    f.keyframe = pic->keyframe;
    f.rtp_timestamp = static_cast<uint32_t>(pic->pts_90k);
    const DecodeResult r = (*dec)->Decode(f);
    ASSERT_FALSE(r.error) << "frame " << i;
    ASSERT_TRUE(r.picture);
    const int index = static_cast<int>(pic->pts_90k / 3000);
    EXPECT_GE(testing::PsnrY(testing::MovingPattern(640, 360, index), *r.picture.host()), 30.0)
        << "frame " << i;
    ++decoded;
  }
  EXPECT_GE(decoded, 29);
}

TEST_P(HwEncoderOnDevice, ForcedKeyframesAreIdrsWithSpsAndPpsInBaseline) {
  for (int i = 0; i < 12; ++i) {
    auto pic = EncodePattern(i, i == 7);
    if (!pic) continue;
    const int index = static_cast<int>(pic->pts_90k / 3000);
    const bool want_key = index == 0 || index == 7;
    EXPECT_EQ(pic->keyframe, want_key) << "frame " << index;
    bool sps = false, pps = false, idr = false;
    for (auto nal : h264::SplitAnnexB(pic->data)) {
      const uint8_t type = h264::NalTypeOf(nal[0]);
      idr |= h264::Is(type, h264::NalType::kIdr);
      pps |= h264::Is(type, h264::NalType::kPps);
      if (h264::Is(type, h264::NalType::kSps)) {
        sps = true;
        ASSERT_GE(nal.size(), 3u);
        // Baseline with no B-frames, CAVLC and no FMO/ASO is what constrained-baseline receivers
        // decode; whether the encoder also sets constraint_set1_flag is its choice.
        EXPECT_EQ(nal[1], 66) << "profile_idc";
      }
    }
    EXPECT_EQ(idr, want_key) << "frame " << index;
    EXPECT_EQ(sps && pps, want_key) << "frame " << index;
  }
}

TEST_P(HwEncoderOnDevice, RefusesFramesOfAnotherSize) {
  auto other = CreateHwVideoEncoder(GetParam(), opened_.device.get(),
                                    VideoEncoderConfig{.width = 320, .height = 180});
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  auto small = (*other)->AcquireCanvas();
  ASSERT_TRUE(small.ok());
  EXPECT_FALSE(encoder_->Encode(Picture(std::shared_ptr<const DeviceVideoFrame>(*small)), false));
}

INSTANTIATE_TEST_SUITE_P(Backends, HwEncoderOnDevice,
                         ::testing::Values(HwBackend::kCuda, HwBackend::kQsv),
                         [](const auto& info) { return std::string(HwBackendName(info.param)); });

}  // namespace
}  // namespace tessera::codec
