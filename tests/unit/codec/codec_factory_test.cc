// Choosing a decoder's and an encoder's backend once, where they are made: the device's where it
// can take the job, else the CPU's with the reason (machines without a GPU see the CPU side).
#include <gtest/gtest.h>
#include <tessera/codec/codec_factory.h>
#include <tessera/codec/hw_device.h>

#include <string>

#include "unit/codec/video_test_util.h"

namespace tessera::codec {
namespace {

using rtp::Codec;

rtp::EncodedFrame KeyframeOf(Codec codec, int w, int h) {
  auto enc = CreateVideoEncoder(codec, VideoEncoderConfig{.width = w, .height = h});
  EXPECT_TRUE(enc.ok()) << enc.status().ToString();
  auto pic = (*enc)->Encode(testing::MovingPattern(w, h, 0), true);
  EXPECT_TRUE(pic.has_value());
  rtp::EncodedFrame f;
  f.codec = codec;
  f.data = pic->data;
  f.rtp_timestamp = static_cast<uint32_t>(pic->pts_90k);
  f.keyframe = pic->keyframe;
  return f;
}

// A CUDA device as a test makes it: no FFmpeg context, so the hardware cannot open anything.
std::shared_ptr<HwDevice> DeviceWithoutContext() {
  return std::make_shared<HwDevice>(HwBackend::kCuda, nullptr, "test device");
}

TEST(CreateVideoDecoderFor, WithoutADeviceIsTheCpuDecoderAndNoFallback) {
  auto made = CreateVideoDecoderFor(nullptr, Codec::kH264, {});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->instance->backend(), HwBackend::kCpu);
  EXPECT_TRUE(made->fallback.empty()) << made->fallback;
}

TEST(CreateVideoDecoderFor, ADeviceThatCannotDecodeGivesAWorkingCpuDecoderAndSaysWhy) {
  auto device = DeviceWithoutContext();
  for (Codec codec : {Codec::kH264, Codec::kVp8, Codec::kVp9}) {
    auto made = CreateVideoDecoderFor(device.get(), codec, {});
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    EXPECT_EQ(made->instance->backend(), HwBackend::kCpu) << rtp::CodecName(codec);
    EXPECT_FALSE(made->fallback.empty()) << rtp::CodecName(codec);
    const DecodeResult r = made->instance->Decode(KeyframeOf(codec, 320, 180));
    ASSERT_FALSE(r.error) << rtp::CodecName(codec);
    ASSERT_NE(r.picture.host(), nullptr) << rtp::CodecName(codec);
    EXPECT_EQ(r.picture.backend(), HwBackend::kCpu);
    EXPECT_EQ(r.picture.width(), 320);
    EXPECT_EQ(r.picture.height(), 180);
  }
}

TEST(CreateVideoDecoderFor, ALostDeviceIsNotAskedAndTheReasonSaysLost) {
  auto device = DeviceWithoutContext();
  device->MarkLost("test: the GPU fell off the bus");
  auto made = CreateVideoDecoderFor(device.get(), Codec::kH264, {});
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made->instance->backend(), HwBackend::kCpu);
  EXPECT_EQ(made->fallback, "device lost: test: the GPU fell off the bus");
}

TEST(CreateVideoDecoderFor, ConfigErrorsAreRefusedWhateverTheDevice) {
  auto device = DeviceWithoutContext();
  EXPECT_EQ(CreateVideoDecoderFor(device.get(), Codec::kOpus, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateVideoDecoderFor(nullptr, Codec::kH264, {.max_width = 0}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(CreateVideoEncoderFor, SaysWhyEachProfileStaysOnTheCpu) {
  auto device = DeviceWithoutContext();
  const VideoEncoderConfig config{.width = 320, .height = 180, .bitrate_bps = 300'000};
  auto vp8 = CreateVideoEncoderFor(device.get(), Codec::kVp8, config);
  ASSERT_TRUE(vp8.ok()) << vp8.status().ToString();
  EXPECT_EQ(vp8->instance->backend(), HwBackend::kCpu);
  EXPECT_EQ(vp8->fallback, "no hardware VP8 encoder is built");
  auto vp9 = CreateVideoEncoderFor(device.get(), Codec::kVp9, config);
  ASSERT_TRUE(vp9.ok()) << vp9.status().ToString();
  EXPECT_EQ(vp9->instance->backend(), HwBackend::kCpu);
  EXPECT_NE(vp9->fallback.find("no hardware VP9 encoder"), std::string::npos) << vp9->fallback;

  VideoEncoderConfig single_nal = config;
  single_nal.max_nal_bytes = 1100;
  auto sliced = CreateVideoEncoderFor(device.get(), Codec::kH264, single_nal);
  ASSERT_TRUE(sliced.ok());
  EXPECT_NE(sliced->fallback.find("slice-max-size"), std::string::npos) << sliced->fallback;

  auto h264 = CreateVideoEncoderFor(device.get(), Codec::kH264, config);
  ASSERT_TRUE(h264.ok());
  EXPECT_EQ(h264->instance->backend(), HwBackend::kCpu);
  EXPECT_FALSE(h264->fallback.empty());
  // Whatever was chosen encodes host pictures through the one interface.
  auto pic = h264->instance->Encode(testing::MovingPattern(320, 180, 0), true);
  ASSERT_TRUE(pic.has_value());
  EXPECT_TRUE(pic->keyframe);

  auto none = CreateVideoEncoderFor(nullptr, Codec::kH264, config);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->fallback.empty());
  EXPECT_EQ(CreateVideoEncoderFor(device.get(), Codec::kH264, {.width = 321, .height = 180})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(VideoEncoder, ACpuEncoderHasNoDeviceCanvasAndRefusesPicturesItCannotRead) {
  auto enc = CreateVideoEncoder(Codec::kH264, {.width = 320, .height = 180});
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ((*enc)->AcquireCanvas().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE((*enc)->Encode(Picture{}, false).has_value());
  const VideoFrame wrong_size = testing::MovingPattern(640, 360, 0);
  EXPECT_FALSE((*enc)->Encode(wrong_size, false).has_value());
}

TEST(Picture, BorrowedAndSharedHostPicturesReportTheirSizeAndTime) {
  VideoFrame f = VideoFrame::Make(64, 36);
  f.pts_90k = 3000;
  const Picture borrowed = Picture::Borrow(f);
  ASSERT_TRUE(borrowed);
  EXPECT_EQ(borrowed.host(), &f);
  EXPECT_EQ(borrowed.device(), nullptr);
  EXPECT_EQ(borrowed.backend(), HwBackend::kCpu);
  EXPECT_EQ(borrowed.width(), 64);
  EXPECT_EQ(borrowed.height(), 36);
  EXPECT_EQ(borrowed.pts_90k(), 3000);
  Picture none;
  EXPECT_FALSE(none);
  EXPECT_EQ(none.width(), 0);
  Picture shared(std::make_shared<const VideoFrame>(f));
  shared.Reset();
  EXPECT_FALSE(shared);
}

}  // namespace
}  // namespace tessera::codec
