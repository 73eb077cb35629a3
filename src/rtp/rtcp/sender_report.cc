#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtcp/rtcp_common.h>
#include <tessera/rtp/rtcp/sender_report.h>

#include <algorithm>

namespace tessera::rtp {
namespace {

constexpr size_t kSenderInfoSize = 24;  // SSRC + NTP + RTP ts + packet count + octet count

}  // namespace

std::optional<SenderReport> SenderReport::Parse(std::span<const uint8_t> packet) {
  auto view = ParseRtcpPacketOfType(packet, RtcpPacketType::kSenderReport);
  if (!view) return std::nullopt;
  const size_t count = view->header.count;
  // Profile-specific extensions may follow the blocks; they are ignored.
  if (view->body.size() < kSenderInfoSize + count * kReportBlockSize) return std::nullopt;
  const uint8_t* p = view->body.data();
  SenderReport sr;
  sr.sender_ssrc = ReadBe32(p);
  sr.ntp.seconds = ReadBe32(p + 4);
  sr.ntp.fraction = ReadBe32(p + 8);
  sr.rtp_timestamp = ReadBe32(p + 12);
  sr.packet_count = ReadBe32(p + 16);
  sr.octet_count = ReadBe32(p + 20);
  sr.report_blocks.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    sr.report_blocks.push_back(*ParseReportBlock(
        view->body.subspan(kSenderInfoSize + i * kReportBlockSize, kReportBlockSize)));
  }
  return sr;
}

void SenderReport::Serialize(std::vector<uint8_t>& out) const {
  const size_t count = std::min<size_t>(report_blocks.size(), kRtcpMaxCount);
  const size_t start =
      BeginRtcpPacket(out, static_cast<uint8_t>(count), RtcpPacketType::kSenderReport);
  ByteWriter w(out);
  w.U32(sender_ssrc);
  w.U32(ntp.seconds);
  w.U32(ntp.fraction);
  w.U32(rtp_timestamp);
  w.U32(packet_count);
  w.U32(octet_count);
  for (size_t i = 0; i < count; ++i) SerializeReportBlock(report_blocks[i], out);
  FinishRtcpPacket(out, start);
}

}  // namespace tessera::rtp
