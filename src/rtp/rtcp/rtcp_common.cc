#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtcp/rtcp_common.h>

namespace tessera::rtp {

std::optional<RtcpPacketView> ParseRtcpPacket(std::span<const uint8_t> data) {
  if (data.size() < kRtcpHeaderSize) return std::nullopt;
  RtcpPacketView view;
  view.header.version = data[0] >> 6;
  view.header.padding = data[0] & 0x20;
  view.header.count = data[0] & 0x1F;
  view.header.packet_type = data[1];
  view.header.length = ReadBe16(&data[2]);
  if (view.header.version != 2) return std::nullopt;
  view.size = 4 * (size_t{view.header.length} + 1);
  if (view.size > data.size()) return std::nullopt;
  size_t body_size = view.size - kRtcpHeaderSize;
  if (view.header.padding) {
    // The last octet counts the padding octets, itself included (RFC 3550 6.4.1).
    if (body_size == 0) return std::nullopt;
    const uint8_t padding = data[view.size - 1];
    if (padding == 0 || padding > body_size) return std::nullopt;
    body_size -= padding;
  }
  view.body = data.subspan(kRtcpHeaderSize, body_size);
  return view;
}

std::optional<RtcpPacketView> ParseRtcpPacketOfType(std::span<const uint8_t> data,
                                                    RtcpPacketType type) {
  auto view = ParseRtcpPacket(data);
  if (!view || view->size != data.size() ||
      view->header.packet_type != static_cast<uint8_t>(type)) {
    return std::nullopt;
  }
  return view;
}

size_t BeginRtcpPacket(std::vector<uint8_t>& out, uint8_t count, uint8_t packet_type) {
  const size_t start = out.size();
  ByteWriter w(out);
  w.U8(static_cast<uint8_t>(0x80 | (count & 0x1F)));
  w.U8(packet_type);
  w.U16(0);
  return start;
}

size_t BeginRtcpPacket(std::vector<uint8_t>& out, uint8_t count, RtcpPacketType type) {
  return BeginRtcpPacket(out, count, static_cast<uint8_t>(type));
}

bool FinishRtcpPacket(std::vector<uint8_t>& out, size_t start) {
  const size_t unaligned = (out.size() - start) % 4;
  if (unaligned != 0) {
    const uint8_t padding = static_cast<uint8_t>(4 - unaligned);
    out.insert(out.end(), padding - 1u, 0);
    out.push_back(padding);
    out[start] |= 0x20;
  }
  if (out.size() - start > kRtcpMaxPacketSize) {
    out.resize(start);
    return false;
  }
  const size_t words = (out.size() - start) / 4;
  WriteBe16(&out[start + 2], static_cast<uint16_t>(words - 1));
  return true;
}

}  // namespace tessera::rtp
