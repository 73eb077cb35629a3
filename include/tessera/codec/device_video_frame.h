// A decoded or to-be-encoded picture in a hardware device's memory, held as a reference to
// FFmpeg's AVFrame: AV_PIX_FMT_CUDA frames (NVDEC output, NVENC input, CUDA compositor canvas)
// or AV_PIX_FMT_QSV frames (Quick Sync). Both hold NV12 (8-bit 4:2:0, Y plane + interleaved UV).
// The frame's memory goes back to its pool when the last reference is gone.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>

#include <cstdint>
#include <memory>
#include <optional>

struct AVFrame;

namespace tessera::codec {

// Runs on: any one thread at a time. Sharing a const DeviceVideoFrame between threads (through
// std::shared_ptr<const DeviceVideoFrame>, as a room's latest-picture mailbox does) is safe: it
// only reads the AVFrame, and FFmpeg's buffer references are atomically counted.
class DeviceVideoFrame {
 public:
  // A new reference to `frame`, which must be a hardware frame of an NV12 frames context:
  // AV_PIX_FMT_CUDA or AV_PIX_FMT_QSV with hw_frames_ctx->sw_format NV12, of positive size.
  // InvalidArgument otherwise (a software frame, another sw_format such as P010). pts_90k is
  // the picture's time on the 90 kHz RTP clock.
  static StatusOr<DeviceVideoFrame> Ref(const AVFrame& frame, int64_t pts_90k);

  DeviceVideoFrame(DeviceVideoFrame&&) noexcept = default;
  DeviceVideoFrame& operator=(DeviceVideoFrame&&) noexcept = default;
  ~DeviceVideoFrame() = default;

  HwBackend backend() const { return backend_; }
  // Luma samples as decoded (H.264 4:2:0 sizes are always even; VP8 ones may be odd). 0 for a
  // moved-from frame.
  int width() const;
  int height() const;
  // Presentation time on the 90 kHz RTP video clock.
  int64_t pts_90k() const { return pts_90k_; }
  void set_pts_90k(int64_t pts_90k) { pts_90k_ = pts_90k; }

  // The planes as CUDA device pointers (data[0], data[1]) with their pitches (linesize[0],
  // linesize[1]), valid in the primary context of the device the frame belongs to, for as long as
  // this object lives. The view's width and height are rounded down to even. nullopt for QSV
  // frames, moved-from frames and pictures under 2x2. Pictures from a decoder are read-only: the
  // decoder may still reference them; only write to canvases from HwVideoEncoder::AcquireCanvas.
  std::optional<Nv12DeviceView> cuda_view() const;

  // The underlying frame, for FFmpeg calls (encoders, transfers). Null for a moved-from frame.
  const AVFrame* av_frame() const { return frame_.get(); }
  AVFrame* mutable_av_frame() { return frame_.get(); }

 private:
  struct FrameDeleter {
    void operator()(AVFrame* frame) const;
  };

  DeviceVideoFrame(std::unique_ptr<AVFrame, FrameDeleter> frame, HwBackend backend, int64_t pts_90k)
      : frame_(std::move(frame)), backend_(backend), pts_90k_(pts_90k) {}

  std::unique_ptr<AVFrame, FrameDeleter> frame_;
  HwBackend backend_ = HwBackend::kCpu;
  int64_t pts_90k_ = 0;
};

}  // namespace tessera::codec
