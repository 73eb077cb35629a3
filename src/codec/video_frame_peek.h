// A look at an encoded video frame's headers before it goes to a decoder: whether it codes a
// picture, and the picture size it announces. Shared by the CPU and hardware decoders so both
// reject the same frames, and oversized streams before anything is allocated.
#pragma once

#include <tessera/rtp/codec.h>
#include <tessera/rtp/encoded_frame.h>

#include <cstddef>
#include <cstdint>
#include <span>

struct AVCodecContext;
struct AVPacket;

namespace tessera::codec {

// Far above any sane compressed 1080p frame; bounds the copy into the decoder's packet.
inline constexpr size_t kMaxEncodedFrameBytes = 4 << 20;

struct PeekResult {
  bool has_picture = false;  // the frame codes a picture
  // From an SPS, a VP8 keyframe header, VP9 uncompressed headers or an AV1 sequence header (the
  // largest); 0 if the frame has none.
  int width = 0;
  int height = 0;
};

// H.264: an Annex B access unit; it codes a picture when it carries a coded slice.
PeekResult PeekH264(std::span<const uint8_t> data);
// VP8: one frame; keyframes carry the size (RFC 6386 9.1).
PeekResult PeekVp8(std::span<const uint8_t> data);
// VP9: one frame or a superframe; every frame that codes its size counts (keyframes, intra-only
// frames, and inter frames that change size).
PeekResult PeekVp9(std::span<const uint8_t> data);
// AV1: a temporal unit in the low overhead format (rtp::AssembleFrame's); it codes a picture when
// it has a frame or frame header OBU, and a sequence header gives the maximum frame size.
PeekResult PeekAv1(std::span<const uint8_t> data);
// PeekH264 for kH264, PeekVp9 for kVp9, PeekAv1 for kAv1, PeekVp8 for anything else.
PeekResult PeekVideoFrame(rtp::Codec codec, std::span<const uint8_t> data);

enum class SubmitResult {
  kSent,
  kRejected,  // empty, over kMaxEncodedFrameBytes, codes no picture, or libavcodec refused it
  kTooLarge,  // announces a picture over the decoder's size cap
};
// The decoders' common first step: checks `frame` (never an empty packet, which would put
// libavcodec into draining mode for good) and sends it to `ctx` through `packet` with the RTP
// timestamp as pts.
SubmitResult SubmitEncodedFrame(AVCodecContext* ctx, AVPacket* packet, rtp::Codec codec,
                                const rtp::EncodedFrame& frame, int max_width, int max_height);

}  // namespace tessera::codec
