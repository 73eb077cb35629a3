// Audio RTP payload formats whose payload is one frame as is: Opus (RFC 7587), G.711 PCMU/PCMA
// and G.722 (RFC 3551).
#pragma once

#include <tessera/rtp/depacketizer.h>

namespace tessera::rtp {

// Runs on: the participant's network shard. Stateless.
class AudioDepacketizer final : public Depacketizer {
 public:
  // Output data is the payload; frame_start and keyframe are always set (every audio packet is
  // decodable on its own). nullopt for an empty payload, which carries no frame.
  std::optional<DepacketizedPayload> Parse(std::span<const uint8_t> payload) override;
};

}  // namespace tessera::rtp
