// Video decoders from reassembled RTP frames (rtp::EncodedFrame) to pictures: one interface for
// the CPU decoders (libavcodec, I420 pictures in host memory) and the hardware ones
// (hw_video_decoder.h: NVDEC, Quick Sync; NV12 pictures in device memory). Which backend decodes
// an input is chosen once, where the decoder is made (CreateVideoDecoderFor, codec_factory.h).
#pragma once

#include <tessera/base/status.h>
#include <tessera/codec/device_frame.h>
#include <tessera/codec/picture.h>
#include <tessera/rtp/codec.h>
#include <tessera/rtp/encoded_frame.h>

#include <cstdint>
#include <memory>
#include <optional>

namespace tessera::codec {

struct DecodeResult {
  // The next picture in presentation order, if the frame completed one (empty otherwise): in host
  // memory from the CPU decoders, in the device's memory from hardware ones. Its pts_90k is the
  // RTP timestamp of the frame that coded it (with B-frames or the QSV decoders' pipelining,
  // possibly an earlier frame's). A device
  // picture references a surface of the decoder's pool: hold it no longer than needed (the room
  // keeps the latest one per input).
  Picture picture;
  // The decoder rejected the frame (malformed, undecodable, too large, a pixel format it cannot
  // convert, or more frames in a row without a picture than the stream's reordering explains).
  // The picture state may be broken until the next keyframe.
  bool error = false;
  // The caller should ask the sender for a keyframe (PLI/FIR). Set together with error.
  bool keyframe_needed = false;
  // Hardware decoders only: the device cannot decode this stream at all (set with error), e.g. a
  // profile or size beyond its limits. Decode this input on the CPU from its next keyframe on.
  bool unsupported = false;
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
  uint64_t bad_format = 0;  // output it cannot give (CPU: RGB...; devices: other than 8-bit 4:2:0)
};

// Decodes one RTP video stream. The CPU decoder gives 8-bit I420 pictures: 8-bit 4:2:0 as
// decoded; 4:2:2, 4:4:4, monochrome and 9- to 16-bit streams (H.264 High 4:2:2, High 4:4:4
// Predictive, High 10) converted. Low delay: no frame threads, and a stream without B-frames gives
// each frame's picture from the same call (the QSV decoders: after at most their pipeline depth,
// one frame). A stream with B-frames gives its pictures in presentation order, each after the
// stream's reorder depth (the SPS's max_num_reorder_frames) of later frames; the frames meanwhile
// give no picture and no error.
// Runs on: the room's strand (one executor at a time; not thread-safe).
class VideoDecoder {
 public:
  virtual ~VideoDecoder() = default;

  // Decodes one complete frame (H.264: Annex B access unit; VP8: one VP8 frame; VP9: one frame
  // or a superframe, as rtp::AssembleFrame joins a picture's layer frames; AV1: a temporal unit
  // in the low overhead format). A change of
  // resolution in the stream yields pictures of the new size. Never throws; malformed input,
  // oversized pictures, formats other than 8-bit 4:2:0 and driver errors give error = true and
  // count in stats() the same way on every backend.
  [[nodiscard]] virtual DecodeResult Decode(const rtp::EncodedFrame& frame) = 0;

  virtual const VideoDecoderStats& stats() const = 0;
  // Where its pictures are: kCpu (host memory) or the device's backend.
  virtual HwBackend backend() const = 0;
};

// InvalidArgument unless codec is one a decoder exists for (kH264, kVp8, kVp9, kAv1) and the size
// cap is positive and at most 16384 in each dimension; the same checks for every backend.
Status CheckVideoDecoderConfig(rtp::Codec codec, const VideoDecoderConfig& config);

// The CPU decoder. codec: kH264, kVp8 or kVp9 (libavcodec's native decoders; VP9 profiles 1 to 3
// converted to 8-bit I420 like High-family H.264, RGB VP9 refused as bad_format), or kAv1
// (libdav1d through libavcodec; libavcodec's own av1 decoder only where it decodes without a
// hardware device, which FFmpeg's does not; 10-bit and 4:4:4 converted likewise);
// InvalidArgument as CheckVideoDecoderConfig says, Unavailable without an AV1 decoder.
StatusOr<std::unique_ptr<VideoDecoder>> CreateVideoDecoder(rtp::Codec codec,
                                                           const VideoDecoderConfig& config = {});

}  // namespace tessera::codec
