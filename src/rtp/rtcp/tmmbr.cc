#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtcp/tmmbr.h>

#include <algorithm>

#include "rtp/rtcp/rtcp_feedback.h"

namespace tessera::rtp {
namespace {

constexpr size_t kTmmbItemSize = 8;
constexpr int kMantissaBits = 17;
constexpr int kOverheadBits = 9;
constexpr uint16_t kMaxOverhead = (1 << kOverheadBits) - 1;

}  // namespace

std::optional<std::vector<TmmbItem>> ParseTmmbItems(std::span<const uint8_t> fci) {
  if (fci.size() % kTmmbItemSize != 0) return std::nullopt;
  std::vector<TmmbItem> items;
  items.reserve(fci.size() / kTmmbItemSize);
  for (size_t i = 0; i < fci.size(); i += kTmmbItemSize) {
    // MxTBR Exp (6) | MxTBR Mantissa (17) | Measured Overhead (9).
    const uint32_t word = ReadBe32(&fci[i + 4]);
    auto bitrate = DecodeExpMantissa(static_cast<uint8_t>(word >> 26),
                                     (word >> kOverheadBits) & ((1u << kMantissaBits) - 1));
    if (!bitrate) return std::nullopt;
    items.push_back({ReadBe32(&fci[i]), *bitrate, static_cast<uint16_t>(word & kMaxOverhead)});
  }
  return items;
}

void SerializeTmmbItems(std::span<const TmmbItem> items, std::vector<uint8_t>& out) {
  ByteWriter w(out);
  for (const auto& item : items) {
    const auto em = EncodeExpMantissa(item.bitrate_bps, kMantissaBits);
    w.U32(item.ssrc);
    w.U32((uint32_t{em.exp} << 26) | (em.mantissa << kOverheadBits) |
          std::min(item.packet_overhead, kMaxOverhead));
  }
}

std::optional<Tmmbr> Tmmbr::Parse(std::span<const uint8_t> packet) {
  auto fb = ParseFeedback(packet, RtcpPacketType::kRtpFeedback, kRtpfbTmmbr);
  if (!fb || fb->fci.empty()) return std::nullopt;
  auto items = ParseTmmbItems(fb->fci);
  if (!items) return std::nullopt;
  return Tmmbr{fb->sender_ssrc, fb->media_ssrc, std::move(*items)};
}

void Tmmbr::Serialize(std::vector<uint8_t>& out) const {
  if (items.empty()) return;
  const size_t count = std::min(items.size(), kMaxFciSize / kTmmbItemSize);
  const size_t start =
      BeginFeedback(out, RtcpPacketType::kRtpFeedback, kRtpfbTmmbr, sender_ssrc, media_ssrc);
  SerializeTmmbItems(std::span(items).first(count), out);
  FinishRtcpPacket(out, start);
}

}  // namespace tessera::rtp
