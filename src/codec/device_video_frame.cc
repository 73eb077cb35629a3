#include <tessera/codec/device_video_frame.h>

#include "codec/hw_support.h"
#include "deps/ffmpeg.h"

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/hwcontext.h>
}

namespace tessera::codec {

void DeviceVideoFrame::FrameDeleter::operator()(AVFrame* frame) const { av_frame_free(&frame); }

StatusOr<DeviceVideoFrame> DeviceVideoFrame::Ref(const AVFrame& frame, int64_t pts_90k) {
  const std::optional<HwBackend> backend = Nv12HwFrameBackend(frame);
  if (!backend) {
    return InvalidArgumentError("not an NV12 CUDA or QSV frame");
  }
  std::unique_ptr<AVFrame, FrameDeleter> ref(av_frame_alloc());
  if (!ref) return ResourceExhaustedError("av_frame_alloc");
  const int err = av_frame_ref(ref.get(), &frame);
  if (err < 0) return InternalError("av_frame_ref: " + deps::AvErrorText(err));
  return DeviceVideoFrame(std::move(ref), *backend, pts_90k);
}

int DeviceVideoFrame::width() const { return frame_ ? frame_->width : 0; }

int DeviceVideoFrame::height() const { return frame_ ? frame_->height : 0; }

std::optional<Nv12DeviceView> DeviceVideoFrame::cuda_view() const {
  if (!frame_ || backend_ != HwBackend::kCuda) return std::nullopt;
  Nv12DeviceView view{
      .y = frame_->data[0],
      .pitch_y = frame_->linesize[0],
      .uv = frame_->data[1],
      .pitch_uv = frame_->linesize[1],
      .width = frame_->width & ~1,
      .height = frame_->height & ~1,
  };
  if (!view.Valid()) return std::nullopt;
  return view;
}

}  // namespace tessera::codec
