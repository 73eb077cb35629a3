// Hardware video decoders (NVDEC through FFmpeg's CUDA hwaccel, Intel Quick Sync through FFmpeg's
// QSV decoders) from reassembled RTP frames to pictures in device memory.
//
// Fallback policy: a hardware decoder is an optimisation for one input, never a requirement.
// When CreateHwVideoDecoder fails with kUnavailable (no device, libavcodec without the hwaccel,
// the driver refused), or when a created decoder reports `unsupported` (the hardware cannot take
// this stream, e.g. a profile or size beyond NVDEC's limits, VP8 on a GPU without VP8 decode),
// the caller decodes that input with CreateVideoDecoder (CPU) instead, and uploads nothing: the
// compositor takes CPU pictures for such inputs.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>
#include <tessera/codec/device_video_frame.h>
#include <tessera/codec/video_decoder.h>
#include <tessera/rtp/codec.h>
#include <tessera/rtp/encoded_frame.h>

#include <memory>
#include <optional>

struct AVBufferRef;

namespace tessera::codec {

struct HwDecodeResult {
  // The decoded picture, if the frame completed one; never null when set. Its pts_90k is the RTP
  // timestamp of the frame that coded it (with B-frames or the QSV decoders' pipelining, possibly
  // an earlier frame's). It references a surface of the decoder's pool: hold it no longer than
  // needed (the room keeps the latest one per input).
  std::optional<std::shared_ptr<const DeviceVideoFrame>> picture;
  // As DecodeResult: the frame was rejected, and the caller should ask for a keyframe.
  bool error = false;
  bool keyframe_needed = false;
  // The hardware cannot decode this stream at all (set with error): decode this input on the CPU
  // from its next keyframe on (see the fallback policy above).
  bool unsupported = false;
};

// Decodes one RTP video stream on a hardware device. Low delay: no frame threads; without
// B-frames the CUDA decoder returns a frame's picture from the same call, the QSV decoders after
// at most their pipeline depth (one frame). With B-frames, pictures come in presentation order
// after the stream's reorder depth, as from the CPU decoder (VideoDecoder).
// Runs on: the room's strand (one executor at a time; not thread-safe).
class HwVideoDecoder {
 public:
  virtual ~HwVideoDecoder() = default;

  // Decodes one complete frame (H.264: Annex B access unit; VP8: one VP8 frame). Never throws;
  // malformed input, oversized pictures, formats other than 8-bit 4:2:0 and driver errors give
  // error = true and count in stats() as the CPU decoder counts them.
  [[nodiscard]] virtual HwDecodeResult Decode(const rtp::EncodedFrame& frame) = 0;

  virtual const VideoDecoderStats& stats() const = 0;
  virtual HwBackend backend() const = 0;
};

// codec: kH264 or kVp8. backend: kCuda (libavcodec's h264/vp8 decoders with the CUDA hwaccel,
// NV12 AV_PIX_FMT_CUDA output) or kQsv (h264_qsv/vp8_qsv, AV_PIX_FMT_QSV output).
// hw_device_ctx: an FFmpeg device context of the backend's type (for CUDA, opened with
// primary_ctx=1); the decoder takes its own reference. Errors: InvalidArgument for another codec,
// kCpu, a device of another type or a bad size cap; Unavailable, with the reason, when no device
// is given or libavcodec or the driver cannot open the hardware decoder.
StatusOr<std::unique_ptr<HwVideoDecoder>> CreateHwVideoDecoder(
    rtp::Codec codec, HwBackend backend, AVBufferRef* hw_device_ctx,
    const VideoDecoderConfig& config = {});

}  // namespace tessera::codec
