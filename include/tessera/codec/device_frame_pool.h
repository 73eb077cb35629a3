// A pool of NV12 pictures of one size in a hardware device's memory: the GPU compositor's canvas
// where no hardware encoder provides one (GPUs without NVENC), and the upload target of inputs
// that a GPU room decodes on the CPU (their hardware decoder was unavailable).
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>
#include <tessera/codec/device_video_frame.h>

#include <memory>

struct AVBufferRef;

namespace tessera::codec {

// Runs on: one thread at a time (the room's strand). Pictures it hands out may outlive it.
class DeviceFramePool {
 public:
  // An FFmpeg frames context (NV12 in AV_PIX_FMT_CUDA or _QSV surfaces) of width x height (even,
  // positive) on `device_ctx`, of which it takes its own reference. InvalidArgument for a bad
  // size, kCpu or a device of another type; Unavailable, with FFmpeg's reason, when the device
  // cannot allocate the pool.
  static StatusOr<std::unique_ptr<DeviceFramePool>> Create(HwBackend backend,
                                                           AVBufferRef* device_ctx, int width,
                                                           int height);
  ~DeviceFramePool();

  // A picture of the pool (its contents are whatever was last written there).
  StatusOr<std::shared_ptr<DeviceVideoFrame>> Acquire();

  int width() const { return width_; }
  int height() const { return height_; }

 private:
  DeviceFramePool(AVBufferRef* frames_ctx, int width, int height)
      : frames_ctx_(frames_ctx), width_(width), height_(height) {}

  AVBufferRef* frames_ctx_;
  int width_;
  int height_;
};

}  // namespace tessera::codec
