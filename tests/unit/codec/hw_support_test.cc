// The hardware plumbing that needs no device: backend mapping, the decoder's pixel-format choice,
// device checks and the frame-format check.
#include "codec/hw_support.h"

#include <gtest/gtest.h>

#include <vector>

#include "unit/codec/hw_test_util.h"

namespace tessera::codec {
namespace {

TEST(HwSupport, MapsBackendsToFfmpegTypesAndFormats) {
  EXPECT_EQ(HwDeviceTypeOf(HwBackend::kCuda), AV_HWDEVICE_TYPE_CUDA);
  EXPECT_EQ(HwDeviceTypeOf(HwBackend::kQsv), AV_HWDEVICE_TYPE_QSV);
  EXPECT_EQ(HwDeviceTypeOf(HwBackend::kCpu), AV_HWDEVICE_TYPE_NONE);
  EXPECT_EQ(HwPixelFormatOf(HwBackend::kCuda), AV_PIX_FMT_CUDA);
  EXPECT_EQ(HwPixelFormatOf(HwBackend::kQsv), AV_PIX_FMT_QSV);
  EXPECT_EQ(HwPixelFormatOf(HwBackend::kCpu), AV_PIX_FMT_NONE);
}

TEST(HwSupport, PixelFormatListStopsAtNone) {
  const AVPixelFormat formats[] = {AV_PIX_FMT_CUDA, AV_PIX_FMT_YUV420P, AV_PIX_FMT_NONE};
  const auto list = PixelFormatList(formats);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0], AV_PIX_FMT_CUDA);
  EXPECT_EQ(list[1], AV_PIX_FMT_YUV420P);
  EXPECT_TRUE(PixelFormatList(nullptr).empty());
}

TEST(SelectHwPixelFormat, PicksTheHardwareFormatWhereverItIsOffered) {
  const std::vector<AVPixelFormat> h264 = {AV_PIX_FMT_VAAPI, AV_PIX_FMT_CUDA, AV_PIX_FMT_VDPAU,
                                           AV_PIX_FMT_YUV420P};
  EXPECT_EQ(SelectHwPixelFormat(h264, AV_PIX_FMT_CUDA), AV_PIX_FMT_CUDA);
  const std::vector<AVPixelFormat> qsv = {AV_PIX_FMT_QSV, AV_PIX_FMT_NV12};
  EXPECT_EQ(SelectHwPixelFormat(qsv, AV_PIX_FMT_QSV), AV_PIX_FMT_QSV);
}

// The hwaccel refused the stream (profile, size): libavcodec asks again without its format, and
// the answer must fail the decode rather than fall back to software frames.
TEST(SelectHwPixelFormat, NeverFallsBackToASoftwareFormat) {
  const std::vector<AVPixelFormat> without_cuda = {AV_PIX_FMT_VAAPI, AV_PIX_FMT_YUV420P};
  EXPECT_EQ(SelectHwPixelFormat(without_cuda, AV_PIX_FMT_CUDA), AV_PIX_FMT_NONE);
  const std::vector<AVPixelFormat> qsv = {AV_PIX_FMT_QSV, AV_PIX_FMT_NV12};
  EXPECT_EQ(SelectHwPixelFormat(qsv, AV_PIX_FMT_CUDA), AV_PIX_FMT_NONE);
  EXPECT_EQ(SelectHwPixelFormat({}, AV_PIX_FMT_CUDA), AV_PIX_FMT_NONE);
  EXPECT_EQ(SelectHwPixelFormat(qsv, AV_PIX_FMT_NONE), AV_PIX_FMT_NONE);
}

TEST(DecoderTakesHwDevice, FindsTheDeviceConfigsOfThisLibavcodec) {
  const AVCodec* h264 = avcodec_find_decoder(AV_CODEC_ID_H264);
  ASSERT_NE(h264, nullptr);
  EXPECT_FALSE(DecoderTakesHwDevice(h264, AV_HWDEVICE_TYPE_QSV));
  EXPECT_FALSE(DecoderTakesHwDevice(h264, AV_HWDEVICE_TYPE_NONE));
  EXPECT_FALSE(DecoderTakesHwDevice(nullptr, AV_HWDEVICE_TYPE_CUDA));
  if (const AVCodec* qsv = avcodec_find_decoder_by_name("h264_qsv")) {
    EXPECT_TRUE(DecoderTakesHwDevice(qsv, AV_HWDEVICE_TYPE_QSV));
    EXPECT_FALSE(DecoderTakesHwDevice(qsv, AV_HWDEVICE_TYPE_CUDA));
  }
  // Debian's and most distributions' FFmpeg builds carry NVDEC; say so when this one does not.
  if (!DecoderTakesHwDevice(h264, AV_HWDEVICE_TYPE_CUDA)) {
    GTEST_SKIP() << "this libavcodec's h264 decoder has no CUDA hwaccel";
  }
}

TEST(CheckHwDevice, NullDeviceIsUnavailableAndNamesTheBackend) {
  const Status s = CheckHwDevice(HwBackend::kCuda, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "no cuda device");
  EXPECT_EQ(CheckHwDevice(HwBackend::kQsv, nullptr).code(), StatusCode::kUnavailable);
}

TEST(CheckHwDevice, CpuBackendAndMismatchedDeviceAreCallerErrors) {
  EXPECT_EQ(CheckHwDevice(HwBackend::kCpu, nullptr).code(), StatusCode::kInvalidArgument);
  AvBufferRefPtr qsv(av_hwdevice_ctx_alloc(AV_HWDEVICE_TYPE_QSV));
  ASSERT_TRUE(qsv);
  const Status s = CheckHwDevice(HwBackend::kCuda, qsv.get());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("qsv device for the cuda backend"), std::string::npos) << s.message();
  EXPECT_TRUE(CheckHwDevice(HwBackend::kQsv, qsv.get()).ok());
}

TEST(Nv12HwFrameBackend, TakesNv12CudaAndQsvFramesOnly) {
  auto cuda =
      testing::MakeFakeHwFrame(AV_HWDEVICE_TYPE_CUDA, AV_PIX_FMT_CUDA, AV_PIX_FMT_NV12, 64, 32, 64);
  EXPECT_EQ(Nv12HwFrameBackend(*cuda.frame), HwBackend::kCuda);
  auto qsv =
      testing::MakeFakeHwFrame(AV_HWDEVICE_TYPE_QSV, AV_PIX_FMT_QSV, AV_PIX_FMT_NV12, 64, 32, 64);
  EXPECT_EQ(Nv12HwFrameBackend(*qsv.frame), HwBackend::kQsv);
  auto p010 = testing::MakeFakeHwFrame(AV_HWDEVICE_TYPE_CUDA, AV_PIX_FMT_CUDA, AV_PIX_FMT_P010, 64,
                                       32, 128);
  EXPECT_EQ(Nv12HwFrameBackend(*p010.frame), std::nullopt);

  deps::AvFramePtr host(av_frame_alloc());
  host->format = AV_PIX_FMT_NV12;
  host->width = 64;
  host->height = 32;
  EXPECT_EQ(Nv12HwFrameBackend(*host), std::nullopt);
  cuda.frame->width = 0;
  EXPECT_EQ(Nv12HwFrameBackend(*cuda.frame), std::nullopt);
}

}  // namespace
}  // namespace tessera::codec
