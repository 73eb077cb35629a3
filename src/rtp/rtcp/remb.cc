#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtcp/remb.h>

#include <algorithm>

#include "rtp/rtcp/rtcp_feedback.h"

namespace tessera::rtp {
namespace {

constexpr uint32_t kRembIdentifier = 0x52454D42;  // "REMB"
constexpr int kMantissaBits = 18;
constexpr size_t kMaxSsrcs = 255;

}  // namespace

bool IsRembFci(std::span<const uint8_t> fci) {
  return fci.size() >= 4 && ReadBe32(fci.data()) == kRembIdentifier;
}

std::optional<Remb> Remb::Parse(std::span<const uint8_t> packet) {
  auto fb = ParseFeedback(packet, RtcpPacketType::kPayloadFeedback, kPsfbAfb);
  if (!fb || !IsRembFci(fb->fci)) return std::nullopt;
  ByteReader r(fb->fci.subspan(4));
  const uint8_t num_ssrcs = r.U8();
  const uint32_t exp_mantissa = r.U24();
  if (!r.ok()) return std::nullopt;
  auto bitrate = DecodeExpMantissa(static_cast<uint8_t>(exp_mantissa >> kMantissaBits),
                                   exp_mantissa & ((1u << kMantissaBits) - 1));
  if (!bitrate) return std::nullopt;
  Remb remb;
  remb.sender_ssrc = fb->sender_ssrc;
  remb.media_ssrc = fb->media_ssrc;
  remb.bitrate_bps = *bitrate;
  remb.ssrcs.reserve(num_ssrcs);
  for (size_t i = 0; i < num_ssrcs; ++i) remb.ssrcs.push_back(r.U32());
  if (!r.ok()) return std::nullopt;
  return remb;
}

void Remb::Serialize(std::vector<uint8_t>& out) const {
  const size_t count = std::min(ssrcs.size(), kMaxSsrcs);
  const auto em = EncodeExpMantissa(bitrate_bps, kMantissaBits);
  const size_t start =
      BeginFeedback(out, RtcpPacketType::kPayloadFeedback, kPsfbAfb, sender_ssrc, media_ssrc);
  ByteWriter w(out);
  w.U32(kRembIdentifier);
  w.U8(static_cast<uint8_t>(count));
  w.U24((uint32_t{em.exp} << kMantissaBits) | em.mantissa);
  for (size_t i = 0; i < count; ++i) w.U32(ssrcs[i]);
  FinishRtcpPacket(out, start);
}

}  // namespace tessera::rtp
