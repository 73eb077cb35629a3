// Video encoders from I420 pictures to RTP-ready frames, tuned for real-time conferencing:
// no B-frames, no lookahead, one output per input, CBR-like rate control.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/video_frame.h>
#include <tessera/rtp/codec.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace tessera::codec {

struct EncodedPicture {
  // H.264: Annex B with 4-byte start codes; SPS and PPS precede every IDR. VP8: one VP8 frame.
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

  // Encodes one picture of the configured size. force_keyframe makes it a keyframe (H.264: IDR).
  // Returns the encoded picture, or nullopt when the frame has the wrong size or the encoder
  // failed (or buffered it, which the real-time configuration does not do).
  [[nodiscard]] virtual std::optional<EncodedPicture> Encode(const VideoFrame& frame,
                                                             bool force_keyframe) = 0;

  // New target bitrate in bits per second (e.g. from REMB/TMMBR), applied from the next frame.
  // Values below 10 kbit/s are raised to it.
  virtual void SetBitrate(int bps) = 0;
};

// codec: kH264 (libx264, constrained baseline) or kVp8 (libvpx); InvalidArgument for any other
// codec or a bad size/rate, Unavailable when libavcodec lacks the encoder.
StatusOr<std::unique_ptr<VideoEncoder>> CreateVideoEncoder(rtp::Codec codec,
                                                           const VideoEncoderConfig& config);

}  // namespace tessera::codec
