// Depacketizers turn one RTP payload into bytes of the codec's bitstream plus what the jitter
// buffer needs to know about frame boundaries and keyframes (after libwebrtc's
// VideoRtpDepacketizer). A frame's bitstream is made from its packets' outputs in sequence order
// by AssembleFrame: their concatenation (for H.264 Annex B with start codes), except where a
// format splits what the decoder needs whole (VP9 pictures of several layer frames, AV1 OBUs).
#pragma once

#include <tessera/rtp/codec.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

struct DepacketizedPayload {
  std::vector<uint8_t> data;
  // This packet begins a frame (VP8: S=1 and partition 0; H.264: an AUD/SPS/PPS/SEI or the
  // first slice of a picture begins the packet; VP9: B=1 on a layer frame without inter-layer
  // dependency; AV1: Z=0 and a sequence header, temporal delimiter or base layer frame (header)
  // first). Audio: always true.
  bool frame_start = false;
  // The frame this packet belongs to is a keyframe: H.264 IDR slice present, VP8 P bit clear,
  // VP9 P bit clear and a key frame's uncompressed header in the base layer, AV1 N bit set and a
  // sequence header present.
  bool keyframe = false;
  // H.264: this packet carries SPS and PPS (a decoder can start at this frame).
  bool has_parameter_sets = false;
  // H.264: this packet carries an SPS, a PPS. Senders that send each NAL unit in its own packet
  // (single NAL unit packets, RFC 6184 5.6) split them: the frame has parameter sets when its
  // packets together carry both.
  bool has_sps = false;
  bool has_pps = false;
  // Picture size when the payload carries it (H.264 SPS, VP8 keyframe header, a VP9 frame size
  // in the uncompressed header, the AV1 sequence header's maximum frame size); 0 if unknown.
  // Sizes above 65535 read as 65535.
  uint16_t width = 0;
  uint16_t height = 0;
  // VP9: the packet ends a layer frame (E=1); a picture may hold one per spatial layer.
  bool layer_frame_end = false;
  // AV1: the first OBU element continues the previous packet's last one (Z=1), and the last OBU
  // element continues in the next packet (Y=1). `data` then holds the packet's OBU elements, each
  // behind its LEB128 length, for AssembleFrame to rejoin.
  bool obu_continues_previous = false;
  bool obu_continues_next = false;
};

// Runs on: the participant's network shard. Stateless between packets unless noted.
class Depacketizer {
 public:
  virtual ~Depacketizer() = default;
  // Parses one RTP payload. nullopt when the payload header is malformed (caller counts a drop).
  // An empty `data` with a value is legal (for example a VP8 packet with no partition bytes).
  virtual std::optional<DepacketizedPayload> Parse(std::span<const uint8_t> payload) = 0;
};

std::unique_ptr<Depacketizer> CreateDepacketizer(Codec codec);

// The bitstream of one frame of `codec` from its packets' outputs, in sequence order: their data
// concatenated (H.264, VP8, audio); for VP9 a superframe when the picture holds several layer
// frames; for AV1 the temporal unit's OBUs, fragments rejoined, each with its size field (the
// low overhead bitstream format), temporal delimiters and tile lists left out, and OBUs that
// cannot be rejoined (a fragment whose other part is missing) too.
std::vector<uint8_t> AssembleFrame(Codec codec,
                                   std::span<const DepacketizedPayload* const> packets);

}  // namespace tessera::rtp
