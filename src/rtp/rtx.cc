#include <tessera/rtp/rtx.h>

#include <vector>

namespace tessera::rtp {
namespace {

std::vector<uint32_t> Csrcs(const RtpPacket& p) {
  std::vector<uint32_t> out;
  out.reserve(p.csrc_count());
  for (size_t i = 0; i < p.csrc_count(); ++i) out.push_back(p.csrc(i));
  return out;
}

}  // namespace

RtpPacket WrapRtx(const RtpPacket& original, uint8_t rtx_pt, uint32_t rtx_ssrc, uint16_t rtx_seq) {
  RtpHeader h;
  h.marker = original.marker();
  h.payload_type = rtx_pt;
  h.sequence_number = rtx_seq;
  h.timestamp = original.timestamp();
  h.ssrc = rtx_ssrc;
  h.csrcs = Csrcs(original);
  const std::span<const uint8_t> payload = original.payload();
  std::vector<uint8_t> body;
  body.reserve(payload.size() + 2);
  body.push_back(static_cast<uint8_t>(original.sequence_number() >> 8));
  body.push_back(static_cast<uint8_t>(original.sequence_number() & 0xFF));
  body.insert(body.end(), payload.begin(), payload.end());
  return RtpPacket::Build(h, {}, body);
}

std::optional<RtpPacket> UnwrapRtx(const RtpPacket& rtx, uint8_t apt, uint32_t media_ssrc) {
  const std::span<const uint8_t> payload = rtx.payload();
  if (payload.size() < 2) return std::nullopt;
  RtpHeader h;
  h.marker = rtx.marker();
  h.payload_type = apt;
  h.sequence_number = static_cast<uint16_t>((payload[0] << 8) | payload[1]);
  h.timestamp = rtx.timestamp();
  h.ssrc = media_ssrc;
  h.csrcs = Csrcs(rtx);
  return RtpPacket::Build(h, {}, payload.subspan(2));
}

}  // namespace tessera::rtp
