#include <tessera/codec/device_frame_pool.h>

#include "codec/hw_support.h"
#include "deps/ffmpeg.h"

namespace tessera::codec {

StatusOr<std::unique_ptr<DeviceFramePool>> DeviceFramePool::Create(HwBackend backend,
                                                                   AVBufferRef* device_ctx,
                                                                   int width, int height) {
  if (width <= 0 || height <= 0 || width % 2 || height % 2) {
    return InvalidArgumentError("device frame pool: size " + std::to_string(width) + "x" +
                                std::to_string(height) + " must be even and positive");
  }
  TESSERA_RETURN_IF_ERROR(CheckHwDevice(backend, device_ctx));
  AvBufferRefPtr frames(av_hwframe_ctx_alloc(device_ctx));
  if (!frames) return UnavailableError("av_hwframe_ctx_alloc failed");
  auto* fc = reinterpret_cast<AVHWFramesContext*>(frames->data);
  fc->format = HwPixelFormatOf(backend);
  fc->sw_format = AV_PIX_FMT_NV12;
  fc->width = width;
  fc->height = height;
  // CUDA pools grow on demand; QSV surfaces must be allocated up front.
  fc->initial_pool_size = backend == HwBackend::kQsv ? 4 : 0;
  const int err = av_hwframe_ctx_init(frames.get());
  if (err < 0) {
    return UnavailableError("av_hwframe_ctx_init (" + std::to_string(width) + "x" +
                            std::to_string(height) + " NV12): " + deps::AvErrorText(err));
  }
  return std::unique_ptr<DeviceFramePool>(new DeviceFramePool(frames.release(), width, height));
}

DeviceFramePool::~DeviceFramePool() { av_buffer_unref(&frames_ctx_); }

StatusOr<std::shared_ptr<DeviceVideoFrame>> DeviceFramePool::Acquire() {
  deps::AvFramePtr frame(av_frame_alloc());
  if (!frame) return ResourceExhaustedError("av_frame_alloc");
  const int err = av_hwframe_get_buffer(frames_ctx_, frame.get(), 0);
  if (err < 0) return UnavailableError("av_hwframe_get_buffer: " + deps::AvErrorText(err));
  auto ref = DeviceVideoFrame::Ref(*frame, 0);
  if (!ref.ok()) return ref.status();
  return std::make_shared<DeviceVideoFrame>(std::move(*ref));
}

}  // namespace tessera::codec
