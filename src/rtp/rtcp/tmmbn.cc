#include <tessera/rtp/rtcp/tmmbn.h>

#include <algorithm>

#include "rtp/rtcp/rtcp_feedback.h"

namespace tessera::rtp {
namespace {

constexpr size_t kTmmbItemSize = 8;

}  // namespace

std::optional<Tmmbn> Tmmbn::Parse(std::span<const uint8_t> packet) {
  auto fb = ParseFeedback(packet, RtcpPacketType::kRtpFeedback, kRtpfbTmmbn);
  if (!fb) return std::nullopt;
  auto items = ParseTmmbItems(fb->fci);
  if (!items) return std::nullopt;
  return Tmmbn{fb->sender_ssrc, fb->media_ssrc, std::move(*items)};
}

void Tmmbn::Serialize(std::vector<uint8_t>& out) const {
  const size_t count = std::min(items.size(), kMaxFciSize / kTmmbItemSize);
  const size_t start =
      BeginFeedback(out, RtcpPacketType::kRtpFeedback, kRtpfbTmmbn, sender_ssrc, media_ssrc);
  SerializeTmmbItems(std::span(items).first(count), out);
  FinishRtcpPacket(out, start);
}

}  // namespace tessera::rtp
