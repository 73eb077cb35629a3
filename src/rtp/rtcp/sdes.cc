#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtcp/rtcp_common.h>
#include <tessera/rtp/rtcp/sdes.h>

#include <algorithm>

namespace tessera::rtp {

Sdes Sdes::WithCname(uint32_t ssrc, std::string cname) {
  Sdes sdes;
  sdes.chunks.push_back({ssrc, {{static_cast<uint8_t>(SdesItemType::kCname), std::move(cname)}}});
  return sdes;
}

std::optional<std::string> Sdes::Cname(uint32_t ssrc) const {
  for (const auto& chunk : chunks) {
    if (chunk.ssrc != ssrc) continue;
    for (const auto& item : chunk.items) {
      if (item.type == static_cast<uint8_t>(SdesItemType::kCname)) return item.value;
    }
  }
  return std::nullopt;
}

std::optional<Sdes> Sdes::Parse(std::span<const uint8_t> packet) {
  auto view = ParseRtcpPacketOfType(packet, RtcpPacketType::kSdes);
  if (!view) return std::nullopt;
  ByteReader r(view->body);
  Sdes sdes;
  sdes.chunks.reserve(view->header.count);
  for (size_t c = 0; c < view->header.count; ++c) {
    SdesChunk chunk;
    chunk.ssrc = r.U32();
    // Items run until a null type octet; the chunk then pads to a 32-bit boundary. Chunks start
    // aligned, so the body offset tells how much padding follows.
    while (true) {
      const uint8_t type = r.U8();
      if (!r.ok()) return std::nullopt;
      if (type == 0) break;
      const uint8_t length = r.U8();
      auto value = r.Bytes(length);
      if (!r.ok()) return std::nullopt;
      chunk.items.push_back({type, std::string(value.begin(), value.end())});
    }
    const size_t pad = (4 - r.position() % 4) % 4;
    r.Skip(std::min(pad, r.remaining()));
    sdes.chunks.push_back(std::move(chunk));
  }
  return sdes;
}

void Sdes::Serialize(std::vector<uint8_t>& out) const {
  const size_t count = std::min<size_t>(chunks.size(), kRtcpMaxCount);
  const size_t start = BeginRtcpPacket(out, static_cast<uint8_t>(count), RtcpPacketType::kSdes);
  ByteWriter w(out);
  for (size_t c = 0; c < count; ++c) {
    const size_t chunk_start = out.size();
    w.U32(chunks[c].ssrc);
    for (const auto& item : chunks[c].items) {
      if (item.type == 0) continue;  // a null type would end the chunk early
      const size_t length = std::min<size_t>(item.value.size(), 255);
      w.U8(item.type);
      w.U8(static_cast<uint8_t>(length));
      w.Bytes(std::span(reinterpret_cast<const uint8_t*>(item.value.data()), length));
    }
    // At least one null octet ends the item list, then pad to 32 bits.
    w.U8(0);
    while ((out.size() - chunk_start) % 4 != 0) w.U8(0);
  }
  FinishRtcpPacket(out, start);
}

}  // namespace tessera::rtp
