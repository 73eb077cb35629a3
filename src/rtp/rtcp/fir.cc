#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtcp/fir.h>

#include <algorithm>

#include "rtp/rtcp/rtcp_feedback.h"

namespace tessera::rtp {
namespace {

constexpr size_t kFirEntrySize = 8;

}  // namespace

std::optional<Fir> Fir::Parse(std::span<const uint8_t> packet) {
  auto fb = ParseFeedback(packet, RtcpPacketType::kPayloadFeedback, kPsfbFir);
  if (!fb || fb->fci.empty() || fb->fci.size() % kFirEntrySize != 0) return std::nullopt;
  Fir fir;
  fir.sender_ssrc = fb->sender_ssrc;
  fir.media_ssrc = fb->media_ssrc;
  fir.entries.reserve(fb->fci.size() / kFirEntrySize);
  for (size_t i = 0; i < fb->fci.size(); i += kFirEntrySize) {
    // The 24 bits after the sequence number are reserved.
    fir.entries.push_back({ReadBe32(&fb->fci[i]), fb->fci[i + 4]});
  }
  return fir;
}

void Fir::Serialize(std::vector<uint8_t>& out) const {
  if (entries.empty()) return;
  const size_t count = std::min(entries.size(), kMaxFciSize / kFirEntrySize);
  const size_t start =
      BeginFeedback(out, RtcpPacketType::kPayloadFeedback, kPsfbFir, sender_ssrc, media_ssrc);
  ByteWriter w(out);
  for (size_t i = 0; i < count; ++i) {
    w.U32(entries[i].ssrc);
    w.U8(entries[i].seq_nr);
    w.U24(0);
  }
  FinishRtcpPacket(out, start);
}

}  // namespace tessera::rtp
