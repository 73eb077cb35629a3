// Hardware H.264 encoders (NVENC, Intel Quick Sync through FFmpeg's QSV encoder) from pictures in
// device memory to RTP-ready frames: the composite's encoder when the room composes on the GPU.
// The compositor renders into a canvas from the encoder's own pool (AcquireCanvas), so the
// encoder reads it in place: no copy between composing and encoding. The encoders are
// VideoEncoder (video_encoder.h) like the CPU's, with backend() the device's.
//
// Fallback policy: where CreateHwVideoEncoder fails with kUnavailable (no device; a GPU without
// NVENC such as the H100 and H200, reported as "no NVENC on this GPU"; a driver that refuses), the
// room keeps composing on the device and downloads each composed canvas once (DownloadToI420,
// hw_transfer.h) for the CPU encoder (CreateVideoEncoder). CreateVideoEncoderFor
// (codec_factory.h) applies this policy when the encoder is made.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>
#include <tessera/codec/device_video_frame.h>
#include <tessera/codec/video_encoder.h>

#include <memory>

struct AVBufferRef;

namespace tessera::codec {

// H.264, constrained baseline, for real-time use as the CPU encoder (video_encoder.h) is tuned:
// CBR at config.bitrate_bps with the same half-second VBV, no B-frames, no lookahead, one output
// per input, an IDR every config.keyframe_interval_s and on demand, SPS/PPS before every IDR.
// backend: kCuda (h264_nvenc) or kQsv (h264_qsv). hw_device_ctx: an FFmpeg device context of
// the backend's type (CUDA: opened with primary_ctx=1, so canvases are usable by the CUDA
// runtime); the encoder takes its own reference. Errors: InvalidArgument for kCpu, a device of
// another type or a bad size/rate; Unavailable, with the reason, when no device is given or the
// hardware encoder cannot be opened ("no NVENC on this GPU" where the GPU has none).
StatusOr<std::unique_ptr<VideoEncoder>> CreateHwVideoEncoder(HwBackend backend,
                                                             AVBufferRef* hw_device_ctx,
                                                             const VideoEncoderConfig& config);

}  // namespace tessera::codec
