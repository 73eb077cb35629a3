#include <tessera/rtp/rtcp/pli.h>

#include "rtp/rtcp/rtcp_feedback.h"

namespace tessera::rtp {

std::optional<Pli> Pli::Parse(std::span<const uint8_t> packet) {
  auto fb = ParseFeedback(packet, RtcpPacketType::kPayloadFeedback, kPsfbPli);
  if (!fb) return std::nullopt;
  return Pli{fb->sender_ssrc, fb->media_ssrc};
}

void Pli::Serialize(std::vector<uint8_t>& out) const {
  const size_t start =
      BeginFeedback(out, RtcpPacketType::kPayloadFeedback, kPsfbPli, sender_ssrc, media_ssrc);
  FinishRtcpPacket(out, start);
}

}  // namespace tessera::rtp
