#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtcp/nack.h>

#include <algorithm>

#include "rtp/rtcp/rtcp_feedback.h"

namespace tessera::rtp {

std::vector<NackItem> PackNackItems(std::span<const uint16_t> seqs) {
  std::vector<NackItem> items;
  if (seqs.empty()) return items;
  // Order by signed distance from the first sequence number, which turns the circle into a line;
  // on a line, greedily opening an entry at the lowest uncovered number is optimal.
  const uint16_t origin = seqs[0];
  std::vector<int32_t> offsets;
  offsets.reserve(seqs.size());
  for (uint16_t s : seqs)
    offsets.push_back(static_cast<int16_t>(static_cast<uint16_t>(s - origin)));
  std::sort(offsets.begin(), offsets.end());
  offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());

  int32_t pid_offset = 0;
  for (int32_t off : offsets) {
    if (!items.empty() && off - pid_offset <= 16) {
      items.back().blp |= static_cast<uint16_t>(1u << (off - pid_offset - 1));
      continue;
    }
    pid_offset = off;
    items.push_back({static_cast<uint16_t>(origin + off), 0});
  }
  return items;
}

std::vector<uint16_t> UnpackNackItems(std::span<const NackItem> items) {
  std::vector<uint16_t> seqs;
  std::vector<bool> seen(65536, false);
  auto add = [&](uint16_t s) {
    if (!seen[s]) {
      seen[s] = true;
      seqs.push_back(s);
    }
  };
  for (const auto& item : items) {
    add(item.pid);
    for (int bit = 0; bit < 16; ++bit) {
      if (item.blp & (1u << bit)) add(static_cast<uint16_t>(item.pid + bit + 1));
    }
  }
  return seqs;
}

std::optional<Nack> Nack::Parse(std::span<const uint8_t> packet) {
  auto fb = ParseFeedback(packet, RtcpPacketType::kRtpFeedback, kRtpfbNack);
  if (!fb || fb->fci.empty() || fb->fci.size() % 4 != 0) return std::nullopt;
  std::vector<NackItem> items;
  items.reserve(fb->fci.size() / 4);
  for (size_t i = 0; i < fb->fci.size(); i += 4) {
    items.push_back({ReadBe16(&fb->fci[i]), ReadBe16(&fb->fci[i + 2])});
  }
  Nack nack;
  nack.sender_ssrc = fb->sender_ssrc;
  nack.media_ssrc = fb->media_ssrc;
  nack.seqs = UnpackNackItems(items);
  return nack;
}

void Nack::Serialize(std::vector<uint8_t>& out) const {
  if (seqs.empty()) return;
  // 65536 distinct sequence numbers need at most 4096 entries, far below the length limit.
  const auto items = PackNackItems(seqs);
  const size_t start =
      BeginFeedback(out, RtcpPacketType::kRtpFeedback, kRtpfbNack, sender_ssrc, media_ssrc);
  ByteWriter w(out);
  for (const auto& item : items) {
    w.U16(item.pid);
    w.U16(item.blp);
  }
  FinishRtcpPacket(out, start);
}

}  // namespace tessera::rtp
