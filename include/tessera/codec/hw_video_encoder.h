// Hardware H.264 encoders (NVENC, Intel Quick Sync through FFmpeg's QSV encoder) from pictures in
// device memory to RTP-ready frames: the composite's encoder when the room composes on the GPU.
// The compositor renders into a canvas from the encoder's own pool (AcquireCanvas), so the
// encoder reads it in place: no copy between composing and encoding.
//
// Fallback policy: where CreateHwVideoEncoder fails with kUnavailable (no device; a GPU without
// NVENC such as the H100 and H200, reported as "no NVENC on this GPU"; a driver that refuses), the
// room keeps composing on the device and downloads each composed canvas once (DownloadToI420,
// hw_transfer.h) for the CPU encoder (CreateVideoEncoder).
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>
#include <tessera/codec/device_video_frame.h>
#include <tessera/codec/video_encoder.h>

#include <memory>
#include <optional>

struct AVBufferRef;

namespace tessera::codec {

// Runs on: the room's strand (one executor at a time; not thread-safe).
class HwVideoEncoder {
 public:
  virtual ~HwVideoEncoder() = default;

  // A picture of the configured size from the encoder's input pool, to render the next composite
  // into (CUDA: write through cuda_view()). Its content is unspecified (a pool surface may still
  // hold an earlier picture). Its memory returns to the pool when the last reference is gone, so
  // hold at most a few at a time. Internal with FFmpeg's error
  // text when the pool cannot give one.
  virtual StatusOr<std::shared_ptr<DeviceVideoFrame>> AcquireCanvas() = 0;

  // Encodes one picture of the configured size on the encoder's device (a canvas from
  // AcquireCanvas, or any NV12 frame of the same backend and device). force_keyframe makes it an
  // IDR, preceded by SPS and PPS. The result is as VideoEncoder::Encode's (Annex B, 4-byte start
  // codes, the frame's pts_90k), or nullopt for a frame of the wrong size or backend, or when the
  // driver fails (never throws).
  [[nodiscard]] virtual std::optional<EncodedPicture> Encode(const DeviceVideoFrame& frame,
                                                             bool force_keyframe) = 0;

  // New target bitrate in bits per second, applied from the next frame (values below 10 kbit/s
  // are raised to it). NVENC reconfigures its rate control in place.
  virtual void SetBitrate(int bps) = 0;

  virtual HwBackend backend() const = 0;
};

// H.264, constrained baseline, for real-time use as the CPU encoder (video_encoder.h) is tuned:
// CBR at config.bitrate_bps with the same half-second VBV, no B-frames, no lookahead, one output
// per input, an IDR every config.keyframe_interval_s and on demand, SPS/PPS before every IDR.
// backend: kCuda (h264_nvenc) or kQsv (h264_qsv). hw_device_ctx: an FFmpeg device context of
// the backend's type (CUDA: opened with primary_ctx=1, so canvases are usable by the CUDA
// runtime); the encoder takes its own reference. Errors: InvalidArgument for kCpu, a device of
// another type or a bad size/rate; Unavailable, with the reason, when no device is given or the
// hardware encoder cannot be opened ("no NVENC on this GPU" where the GPU has none).
StatusOr<std::unique_ptr<HwVideoEncoder>> CreateHwVideoEncoder(HwBackend backend,
                                                               AVBufferRef* hw_device_ctx,
                                                               const VideoEncoderConfig& config);

}  // namespace tessera::codec
