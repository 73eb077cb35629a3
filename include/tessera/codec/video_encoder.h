// Video encoders from pictures to RTP-ready frames, tuned for real-time conferencing: no B-frames,
// no lookahead, one output per input, CBR-like rate control. One interface for the CPU encoders
// (libx264, libvpx for VP8 and VP9: host pictures) and the hardware ones (hw_video_encoder.h:
// NVENC, Quick Sync: device pictures, read in place). Which backend encodes a profile is chosen
// once, where the encoder is made (CreateVideoEncoderFor, codec_factory.h).
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>
#include <tessera/codec/device_video_frame.h>
#include <tessera/codec/picture.h>
#include <tessera/codec/video_frame.h>
#include <tessera/rtp/codec.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace tessera::codec {

struct EncodedPicture {
  // H.264: Annex B with 4-byte start codes; SPS and PPS precede every IDR. VP8, VP9: one frame.
  std::vector<uint8_t> data;
  bool keyframe = false;
  // The input frame's pts_90k (90 kHz RTP clock).
  int64_t pts_90k = 0;
};

struct VideoEncoderConfig {
  int width = 0;   // luma samples; every input frame must have this size
  int height = 0;  // luma samples
  int fps = 30;    // nominal frame rate, for rate control
  int bitrate_bps = 1'500'000;
  int keyframe_interval_s = 10;  // periodic keyframe, in seconds of frames at fps
  // H.264: every slice NAL unit at most this many bytes (x264 slice-max-size), so that each fits
  // one RTP packet (packetization-mode 0 receivers); 0: one slice per picture, any size.
  int max_nal_bytes = 0;
};

// Runs on: the room's strand (one executor at a time; not thread-safe).
class VideoEncoder {
 public:
  virtual ~VideoEncoder() = default;

  // Encodes one picture of the configured size, in the encoder's memory: a host picture for the
  // CPU encoders (backend() kCpu), a picture of the same backend and device for hardware ones (a
  // canvas from AcquireCanvas, or any NV12 frame there). force_keyframe makes it a keyframe
  // (H.264: an IDR, preceded by SPS and PPS). Returns the encoded picture, or nullopt for a
  // picture of the wrong size or memory, or when the encoder failed (or buffered it, which the
  // real-time configuration does not do). Never throws.
  [[nodiscard]] virtual std::optional<EncodedPicture> Encode(const Picture& picture,
                                                             bool force_keyframe) = 0;
  // The same for a host picture, which is only read during the call.
  [[nodiscard]] std::optional<EncodedPicture> Encode(const VideoFrame& frame, bool force_keyframe) {
    return Encode(Picture::Borrow(frame), force_keyframe);
  }

  // New target bitrate in bits per second (e.g. from REMB/TMMBR), applied from the next frame.
  // Values below 10 kbit/s are raised to it.
  virtual void SetBitrate(int bps) = 0;

  // Where Encode reads its pictures: kCpu (host memory) or the device's backend.
  virtual HwBackend backend() const = 0;

  // Hardware encoders: a picture of the configured size from the encoder's input pool, to compose
  // the next picture into (CUDA: write through cuda_view()), so it is encoded in place with no
  // copy. Its content is unspecified (a pool surface may still hold an earlier picture); its
  // memory returns to the pool when the last reference is gone, so hold at most a few at a time.
  // Internal with FFmpeg's error text when the pool cannot give one. CPU encoders have no
  // device pool: FailedPrecondition.
  virtual StatusOr<std::shared_ptr<DeviceVideoFrame>> AcquireCanvas() {
    return FailedPreconditionError("a CPU encoder has no device canvas");
  }
};

// InvalidArgument unless the size is even, positive and within 4096x4096, fps is 1..240, the
// bitrate at least 10 kbit/s and the keyframe interval positive: the same limits for every
// backend, so a room can move a profile between them.
Status CheckVideoEncoderConfig(const VideoEncoderConfig& config);

// The CPU encoder. codec: kH264 (libx264, constrained baseline), kVp8 (libvpx) or kVp9 (libvpx-vp9
// profile 0; both libvpx realtime, CBR, error resilient, no lag; VP9 on one thread without row
// multithreading, with tile columns of at least 256 pixels); InvalidArgument for any other codec
// or as CheckVideoEncoderConfig says, Unavailable when libavcodec lacks the encoder.
StatusOr<std::unique_ptr<VideoEncoder>> CreateVideoEncoder(rtp::Codec codec,
                                                           const VideoEncoderConfig& config);

}  // namespace tessera::codec
