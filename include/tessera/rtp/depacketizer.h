// Depacketizers turn one RTP payload into bytes of the codec's bitstream plus what the jitter
// buffer needs to know about frame boundaries and keyframes (after libwebrtc's
// VideoRtpDepacketizer). A frame's bitstream is the concatenation of its packets' outputs in
// sequence order; for H.264 that is Annex B (start codes).
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
  // first slice of a picture begins the packet). Audio: always true.
  bool frame_start = false;
  // The frame this packet belongs to is a keyframe: H.264 IDR slice present, VP8 P bit clear.
  bool keyframe = false;
  // H.264: this packet carries SPS and PPS (a decoder can start at this frame).
  bool has_parameter_sets = false;
  // H.264: this packet carries an SPS, a PPS. Senders that send each NAL unit in its own packet
  // (single NAL unit packets, RFC 6184 5.6) split them: the frame has parameter sets when its
  // packets together carry both.
  bool has_sps = false;
  bool has_pps = false;
  // Picture size when the payload carries it (H.264 SPS, VP8 keyframe header); 0 if unknown.
  uint16_t width = 0;
  uint16_t height = 0;
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

}  // namespace tessera::rtp
