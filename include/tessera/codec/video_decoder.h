// Video decoders from reassembled RTP frames (rtp::EncodedFrame) to I420 pictures.
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/video_frame.h>
#include <tessera/rtp/codec.h>
#include <tessera/rtp/encoded_frame.h>

#include <cstdint>
#include <memory>
#include <optional>

namespace tessera::codec {

struct DecodeResult {
  // The next picture in presentation order, if the frame completed one. Its pts_90k is the
  // rtp_timestamp of the frame that coded it: this frame's, or with B-frames an earlier one's.
  std::optional<VideoFrame> picture;
  // The decoder rejected the frame (malformed, undecodable, too large, a pixel format it cannot
  // convert, or more frames in a row without a picture than the stream's reordering explains).
  // The picture state may be broken until the next keyframe.
  bool error = false;
  // The caller should ask the sender for a keyframe (PLI/FIR). Set together with error.
  bool keyframe_needed = false;
};

struct VideoDecoderConfig {
  // Pictures larger than this (in either dimension) are rejected before the decoder allocates
  // them, so a sender cannot make one input cost more than a max_width x max_height decode.
  int max_width = 1920;
  int max_height = 1080;
};

// Frames each decoder has rejected, by reason.
struct VideoDecoderStats {
  uint64_t decoded = 0;
  uint64_t errors = 0;      // every rejected frame, including the ones counted below
  uint64_t too_large = 0;   // over VideoDecoderConfig's size
  uint64_t bad_format = 0;  // decoder output that cannot become 8-bit I420 (RGB, ...)
};

// Decodes one RTP video stream to 8-bit I420 pictures: 8-bit 4:2:0 as decoded; 4:2:2, 4:4:4,
// monochrome and 9- to 16-bit streams (H.264 High 4:2:2, High 4:4:4 Predictive, High 10)
// converted. Low delay: no frame threads, and a stream without B-frames gives each frame's
// picture from the same call. A stream with B-frames gives its pictures in presentation order,
// each after the stream's reorder depth (the SPS's max_num_reorder_frames) of later frames; the
// frames meanwhile give no picture and no error.
// Runs on: the room's strand (one executor at a time; not thread-safe).
class VideoDecoder {
 public:
  virtual ~VideoDecoder() = default;

  // Decodes one complete frame (H.264: Annex B access unit; VP8: one VP8 frame). A change of
  // resolution in the stream yields pictures of the new size. Never throws; malformed input
  // gives error = true.
  [[nodiscard]] virtual DecodeResult Decode(const rtp::EncodedFrame& frame) = 0;

  virtual const VideoDecoderStats& stats() const = 0;
};

// codec: kH264 or kVp8 (libavcodec's native decoders); InvalidArgument for any other codec or a
// non-positive size cap.
StatusOr<std::unique_ptr<VideoDecoder>> CreateVideoDecoder(rtp::Codec codec,
                                                           const VideoDecoderConfig& config = {});

}  // namespace tessera::codec
