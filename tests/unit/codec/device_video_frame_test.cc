// DeviceVideoFrame over stand-in hardware frames (host memory in a hardware format): references,
// the CUDA view, moves.
#include <gtest/gtest.h>
#include <tessera/codec/device_video_frame.h>
#include <tessera/codec/hw_transfer.h>

#include <utility>

#include "unit/codec/hw_test_util.h"

namespace tessera::codec {
namespace {

using testing::MakeFakeHwFrame;

TEST(DeviceVideoFrame, RefSharesTheFrameBuffersAndReleasesThemOnDestruction) {
  auto fake = MakeFakeHwFrame(AV_HWDEVICE_TYPE_CUDA, AV_PIX_FMT_CUDA, AV_PIX_FMT_NV12, 64, 32, 128);
  AVBufferRef* buf = fake.frame->buf[0];
  ASSERT_EQ(av_buffer_get_ref_count(buf), 1);
  {
    auto frame = DeviceVideoFrame::Ref(*fake.frame, 9000);
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    EXPECT_EQ(av_buffer_get_ref_count(buf), 2);
    EXPECT_EQ(frame->backend(), HwBackend::kCuda);
    EXPECT_EQ(frame->width(), 64);
    EXPECT_EQ(frame->height(), 32);
    EXPECT_EQ(frame->pts_90k(), 9000);
    EXPECT_EQ(frame->av_frame()->data[0], fake.frame->data[0]);
  }
  EXPECT_EQ(av_buffer_get_ref_count(buf), 1);
}

TEST(DeviceVideoFrame, CudaViewGivesPlanesAndPitches) {
  auto fake = MakeFakeHwFrame(AV_HWDEVICE_TYPE_CUDA, AV_PIX_FMT_CUDA, AV_PIX_FMT_NV12, 64, 32, 128);
  auto frame = DeviceVideoFrame::Ref(*fake.frame, 0);
  ASSERT_TRUE(frame.ok());
  const auto view = frame->cuda_view();
  ASSERT_TRUE(view);
  EXPECT_TRUE(view->Valid());
  EXPECT_EQ(view->y, fake.frame->data[0]);
  EXPECT_EQ(view->uv, fake.frame->data[1]);
  EXPECT_EQ(view->pitch_y, 128);
  EXPECT_EQ(view->pitch_uv, 128);
  EXPECT_EQ(view->width, 64);
  EXPECT_EQ(view->height, 32);
}

TEST(DeviceVideoFrame, CudaViewOfAnOddSizedPictureRoundsDownToEven) {
  auto fake = MakeFakeHwFrame(AV_HWDEVICE_TYPE_CUDA, AV_PIX_FMT_CUDA, AV_PIX_FMT_NV12, 65, 33, 128);
  auto frame = DeviceVideoFrame::Ref(*fake.frame, 0);
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(frame->width(), 65);
  const auto view = frame->cuda_view();
  ASSERT_TRUE(view);
  EXPECT_EQ(view->width, 64);
  EXPECT_EQ(view->height, 32);
}

TEST(DeviceVideoFrame, QsvFramesHaveNoCudaView) {
  auto fake = MakeFakeHwFrame(AV_HWDEVICE_TYPE_QSV, AV_PIX_FMT_QSV, AV_PIX_FMT_NV12, 64, 32, 64);
  auto frame = DeviceVideoFrame::Ref(*fake.frame, 0);
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(frame->backend(), HwBackend::kQsv);
  EXPECT_FALSE(frame->cuda_view());
}

TEST(DeviceVideoFrame, RefusesSoftwareAndNonNv12Frames) {
  deps::AvFramePtr host(av_frame_alloc());
  host->format = AV_PIX_FMT_NV12;
  host->width = 64;
  host->height = 32;
  ASSERT_GE(av_frame_get_buffer(host.get(), 0), 0);
  EXPECT_EQ(DeviceVideoFrame::Ref(*host, 0).status().code(), StatusCode::kInvalidArgument);
  auto p010 = MakeFakeHwFrame(AV_HWDEVICE_TYPE_CUDA, AV_PIX_FMT_CUDA, AV_PIX_FMT_P010, 64, 32, 128);
  EXPECT_EQ(DeviceVideoFrame::Ref(*p010.frame, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(DeviceVideoFrame, MovedFromFrameIsEmptyAndRefusesTransfers) {
  auto fake = MakeFakeHwFrame(AV_HWDEVICE_TYPE_CUDA, AV_PIX_FMT_CUDA, AV_PIX_FMT_NV12, 64, 32, 128);
  auto frame = DeviceVideoFrame::Ref(*fake.frame, 0);
  ASSERT_TRUE(frame.ok());
  DeviceVideoFrame moved = std::move(*frame);
  EXPECT_EQ(moved.width(), 64);
  EXPECT_EQ(frame->av_frame(), nullptr);  // NOLINT(bugprone-use-after-move): the point
  EXPECT_EQ(frame->width(), 0);
  EXPECT_FALSE(frame->cuda_view());
  EXPECT_EQ(DownloadToI420(*frame).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UploadI420(VideoFrame::Make(64, 32), *frame).code(), StatusCode::kInvalidArgument);
}

TEST(DeviceVideoFrame, UploadOfAnotherSizeIsRefusedBeforeAnyTransfer) {
  auto fake = MakeFakeHwFrame(AV_HWDEVICE_TYPE_CUDA, AV_PIX_FMT_CUDA, AV_PIX_FMT_NV12, 64, 32, 128);
  auto frame = DeviceVideoFrame::Ref(*fake.frame, 0);
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(UploadI420(VideoFrame::Make(66, 32), *frame).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UploadI420(VideoFrame{}, *frame).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tessera::codec
