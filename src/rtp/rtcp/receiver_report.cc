#include <tessera/base/byte_io.h>
#include <tessera/rtp/rtcp/receiver_report.h>
#include <tessera/rtp/rtcp/rtcp_common.h>

#include <algorithm>

namespace tessera::rtp {
namespace {

constexpr int32_t kMaxCumulativeLost = 0x7FFFFF;
constexpr int32_t kMinCumulativeLost = -0x800000;

}  // namespace

std::optional<ReportBlock> ParseReportBlock(std::span<const uint8_t> data) {
  if (data.size() < kReportBlockSize) return std::nullopt;
  const uint8_t* p = data.data();
  ReportBlock b;
  b.ssrc = ReadBe32(p);
  b.fraction_lost = p[4];
  const uint32_t lost = ReadBe24(p + 5);
  // Sign-extend the 24-bit two's-complement value.
  b.cumulative_lost =
      (lost & 0x800000) ? static_cast<int32_t>(lost) - 0x1000000 : static_cast<int32_t>(lost);
  b.extended_highest_seq = ReadBe32(p + 8);
  b.jitter = ReadBe32(p + 12);
  b.lsr = ReadBe32(p + 16);
  b.dlsr = ReadBe32(p + 20);
  return b;
}

void SerializeReportBlock(const ReportBlock& block, std::vector<uint8_t>& out) {
  ByteWriter w(out);
  w.U32(block.ssrc);
  w.U8(block.fraction_lost);
  const int32_t lost = std::clamp(block.cumulative_lost, kMinCumulativeLost, kMaxCumulativeLost);
  w.U24(static_cast<uint32_t>(lost) & 0xFFFFFF);
  w.U32(block.extended_highest_seq);
  w.U32(block.jitter);
  w.U32(block.lsr);
  w.U32(block.dlsr);
}

std::optional<ReceiverReport> ReceiverReport::Parse(std::span<const uint8_t> packet) {
  auto view = ParseRtcpPacketOfType(packet, RtcpPacketType::kReceiverReport);
  if (!view) return std::nullopt;
  const size_t count = view->header.count;
  // Profile-specific extensions may follow the blocks; they are ignored.
  if (view->body.size() < 4 + count * kReportBlockSize) return std::nullopt;
  ReceiverReport rr;
  rr.sender_ssrc = ReadBe32(view->body.data());
  rr.report_blocks.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    rr.report_blocks.push_back(
        *ParseReportBlock(view->body.subspan(4 + i * kReportBlockSize, kReportBlockSize)));
  }
  return rr;
}

void ReceiverReport::Serialize(std::vector<uint8_t>& out) const {
  const size_t count = std::min<size_t>(report_blocks.size(), kRtcpMaxCount);
  const size_t start =
      BeginRtcpPacket(out, static_cast<uint8_t>(count), RtcpPacketType::kReceiverReport);
  ByteWriter(out).U32(sender_ssrc);
  for (size_t i = 0; i < count; ++i) SerializeReportBlock(report_blocks[i], out);
  FinishRtcpPacket(out, start);
}

int64_t RttFromReportBlock(const ReportBlock& block, NtpTime now) {
  if (block.lsr == 0) return -1;
  // Compact NTP arithmetic is modulo 2^32 (about 18 hours), so a wrapped difference is fine.
  const auto rtt = static_cast<int32_t>(now.Compact() - block.lsr - block.dlsr);
  if (rtt <= 0) return 0;
  return (static_cast<int64_t>(rtt) * 1'000'000 + 0x8000) >> 16;
}

}  // namespace tessera::rtp
