// H.264 RTP payload format (RFC 6184), packetization modes 0 and 1: single NAL unit packets,
// STAP-A and FU-A. Output is Annex B with a 4-byte start code before every NAL unit.
#pragma once

#include <tessera/rtp/depacketizer.h>

namespace tessera::rtp {

// Runs on: the participant's network shard. Stateless between packets: an FU-A fragment is
// emitted as it arrives and the jitter buffer concatenates fragments in sequence order.
class H264Depacketizer final : public Depacketizer {
 public:
  // nullopt for an empty payload, packet types 0, 25-27 and 29-31 (STAP-B, MTAP, FU-B, reserved:
  // not allowed in mode 1), a STAP-A whose NAL unit sizes do not match the payload, and an FU-A
  // with both S and E set or with an aggregation/fragment type inside.
  std::optional<DepacketizedPayload> Parse(std::span<const uint8_t> payload) override;
};

}  // namespace tessera::rtp
