#include "rtp/audio_depacketizer.h"

namespace tessera::rtp {

std::optional<DepacketizedPayload> AudioDepacketizer::Parse(std::span<const uint8_t> payload) {
  // An Opus packet has at least its TOC byte (RFC 6716 3.4 [R1]); G.711 and G.722 carry at
  // least one sample byte.
  if (payload.empty()) return std::nullopt;
  DepacketizedPayload out;
  out.data.assign(payload.begin(), payload.end());
  out.frame_start = true;
  out.keyframe = true;
  return out;
}

}  // namespace tessera::rtp
