#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtcp/bye.h>
#include <tessera/rtp/rtcp/rtcp_common.h>

#include <algorithm>

namespace tessera::rtp {

std::optional<Bye> Bye::Parse(std::span<const uint8_t> packet) {
  auto view = ParseRtcpPacketOfType(packet, RtcpPacketType::kBye);
  if (!view) return std::nullopt;
  ByteReader r(view->body);
  Bye bye;
  bye.ssrcs.reserve(view->header.count);
  for (size_t i = 0; i < view->header.count; ++i) bye.ssrcs.push_back(r.U32());
  if (!r.ok()) return std::nullopt;
  if (r.remaining() > 0) {
    const uint8_t length = r.U8();
    auto reason = r.Bytes(length);
    if (!r.ok()) return std::nullopt;
    bye.reason.assign(reason.begin(), reason.end());
  }
  return bye;
}

void Bye::Serialize(std::vector<uint8_t>& out) const {
  const size_t count = std::min<size_t>(ssrcs.size(), kRtcpMaxCount);
  const size_t start = BeginRtcpPacket(out, static_cast<uint8_t>(count), RtcpPacketType::kBye);
  ByteWriter w(out);
  for (size_t i = 0; i < count; ++i) w.U32(ssrcs[i]);
  if (!reason.empty()) {
    const size_t length = std::min<size_t>(reason.size(), 255);
    w.U8(static_cast<uint8_t>(length));
    w.Bytes(std::span(reinterpret_cast<const uint8_t*>(reason.data()), length));
    // The reason is padded with nulls to a 32-bit boundary, not with RTCP padding.
    while ((out.size() - start) % 4 != 0) w.U8(0);
  }
  FinishRtcpPacket(out, start);
}

}  // namespace tessera::rtp
