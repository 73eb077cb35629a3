// Uploads and downloads through a real device (GPU machines; skipped, saying why, elsewhere).
#include <gtest/gtest.h>
#include <tessera/codec/hw_transfer.h>

#include <string>

#include "unit/codec/hw_test_util.h"
#include "unit/codec/video_test_util.h"

namespace tessera::codec {
namespace {

class HwTransfer : public ::testing::TestWithParam<HwBackend> {};

TEST_P(HwTransfer, UploadThenDownloadGivesThePictureBack) {
  auto opened = testing::OpenHwDevice(GetParam());
  if (!opened.device) GTEST_SKIP() << opened.reason;
  AvBufferRefPtr frames(av_hwframe_ctx_alloc(opened.device.get()));
  ASSERT_TRUE(frames);
  auto* fc = reinterpret_cast<AVHWFramesContext*>(frames->data);
  fc->format = HwPixelFormatOf(GetParam());
  fc->sw_format = AV_PIX_FMT_NV12;
  fc->width = 640;
  fc->height = 360;
  fc->initial_pool_size = 2;
  ASSERT_GE(av_hwframe_ctx_init(frames.get()), 0);
  deps::AvFramePtr surface(av_frame_alloc());
  ASSERT_GE(av_hwframe_get_buffer(frames.get(), surface.get(), 0), 0);
  auto frame = DeviceVideoFrame::Ref(*surface, 0);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();

  const VideoFrame picture = testing::MovingPattern(640, 360, 5);
  ASSERT_TRUE(UploadI420(picture, *frame).ok());
  EXPECT_EQ(frame->pts_90k(), picture.pts_90k);
  auto back = DownloadToI420(*frame);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->width, 640);
  EXPECT_EQ(back->height, 360);
  EXPECT_EQ(back->pts_90k, picture.pts_90k);
  EXPECT_EQ(back->y, picture.y);
  EXPECT_EQ(back->u, picture.u);
  EXPECT_EQ(back->v, picture.v);
}

INSTANTIATE_TEST_SUITE_P(Backends, HwTransfer, ::testing::Values(HwBackend::kCuda, HwBackend::kQsv),
                         [](const auto& info) { return std::string(HwBackendName(info.param)); });

}  // namespace
}  // namespace tessera::codec
