#include <gtest/gtest.h>
#include <tessera/codec/device_frame_pool.h>

extern "C" {
#include <libavutil/buffer.h>
#include <libavutil/dict.h>
#include <libavutil/hwcontext.h>
}

namespace tessera::codec {
namespace {

TEST(DeviceFramePool, WithoutADeviceIsUnavailableAndBadSizesAreRejected) {
  auto none = DeviceFramePool::Create(HwBackend::kCuda, nullptr, 1280, 720);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kUnavailable) << none.status().ToString();
  auto odd = DeviceFramePool::Create(HwBackend::kCuda, nullptr, 1279, 720);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().code(), StatusCode::kInvalidArgument);
  auto cpu = DeviceFramePool::Create(HwBackend::kCpu, nullptr, 1280, 720);
  ASSERT_FALSE(cpu.ok());
}

TEST(DeviceFramePool, HandsOutCanvasSizedCudaPicturesOnAGpu) {
  AVBufferRef* device = nullptr;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "primary_ctx", "1", 0);
  const int err = av_hwdevice_ctx_create(&device, AV_HWDEVICE_TYPE_CUDA, nullptr, opts, 0);
  av_dict_free(&opts);
  if (err < 0) GTEST_SKIP() << "no CUDA device (av_hwdevice_ctx_create: " << err << ")";
  auto pool = DeviceFramePool::Create(HwBackend::kCuda, device, 1280, 720);
  av_buffer_unref(&device);  // the pool keeps its own reference
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  auto a = (*pool)->Acquire();
  auto b = (*pool)->Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->cuda_view().has_value());
  EXPECT_EQ((*a)->cuda_view()->width, 1280);
  EXPECT_EQ((*a)->cuda_view()->height, 720);
  EXPECT_NE((*a)->cuda_view()->y, (*b)->cuda_view()->y) << "two live pictures share memory";
}

}  // namespace
}  // namespace tessera::codec
