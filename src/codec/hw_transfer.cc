#include <tessera/codec/hw_transfer.h>

#include "codec/nv12.h"
#include "deps/ffmpeg.h"

extern "C" {
#include <libavutil/hwcontext.h>
}

namespace tessera::codec {

StatusOr<VideoFrame> DownloadToI420(const DeviceVideoFrame& frame) {
  const AVFrame* src = frame.av_frame();
  if (!src) return InvalidArgumentError("download of an empty device frame");
  deps::AvFramePtr host(av_frame_alloc());
  if (!host) return ResourceExhaustedError("av_frame_alloc");
  host->format = AV_PIX_FMT_NV12;
  // With no buffer in `host`, FFmpeg allocates one of the frames context's size and sets the
  // picture's size on it.
  const int err = av_hwframe_transfer_data(host.get(), src, 0);
  if (err < 0) return InternalError("av_hwframe_transfer_data: " + deps::AvErrorText(err));
  if (host->format != AV_PIX_FMT_NV12 || host->width != src->width || host->height != src->height) {
    return InternalError("device download gave an unexpected picture format or size");
  }
  VideoFrame out = VideoFrame::Make(src->width, src->height);
  Nv12ToI420(host->data[0], host->linesize[0], host->data[1], host->linesize[1], out);
  out.pts_90k = frame.pts_90k();
  return out;
}

Status UploadI420(const VideoFrame& picture, DeviceVideoFrame& frame) {
  AVFrame* dst = frame.mutable_av_frame();
  if (!dst) return InvalidArgumentError("upload into an empty device frame");
  if (!picture.Valid() || picture.width < dst->width || picture.height < dst->height ||
      picture.width > dst->width + 1 || picture.height > dst->height + 1) {
    return InvalidArgumentError("upload of a picture of another size than the device frame");
  }
  deps::AvFramePtr host(av_frame_alloc());
  if (!host) return ResourceExhaustedError("av_frame_alloc");
  host->format = AV_PIX_FMT_NV12;
  host->width = dst->width;
  host->height = dst->height;
  if (av_frame_get_buffer(host.get(), 0) < 0) return ResourceExhaustedError("av_frame_get_buffer");
  // An odd-sized picture (VP8, WebRTC's 3/4 steps) loses its last column or row: NV12 surfaces
  // are even.
  I420ToNv12(picture, dst->width, dst->height, host->data[0], host->linesize[0], host->data[1],
             host->linesize[1]);
  const int err = av_hwframe_transfer_data(dst, host.get(), 0);
  if (err < 0) return InternalError("av_hwframe_transfer_data: " + deps::AvErrorText(err));
  frame.set_pts_90k(picture.pts_90k);
  return Status::Ok();
}

}  // namespace tessera::codec
