// RTCP receiver report (RFC 3550 6.4.2) and the report block shared with sender reports (6.4.1).
#pragma once

#include <tessera/base/clock.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

inline constexpr size_t kReportBlockSize = 24;

// Reception statistics about one media source, as carried in SR/RR.
struct ReportBlock {
  uint32_t ssrc = 0;                  // the source this block is about
  uint8_t fraction_lost = 0;          // fixed point, lost/expected * 256 since the last report
  int32_t cumulative_lost = 0;        // 24-bit signed on the wire; Serialize clamps
  uint32_t extended_highest_seq = 0;  // cycles << 16 | highest sequence number
  uint32_t jitter = 0;                // interarrival jitter, RTP timestamp units
  uint32_t lsr = 0;                   // middle 32 bits of the last SR's NTP time, 0 = none
  uint32_t dlsr = 0;                  // delay since that SR, units of 1/65536 s

  bool operator==(const ReportBlock&) const = default;
};

// Reads one block from exactly kReportBlockSize bytes (nullopt if data is shorter).
std::optional<ReportBlock> ParseReportBlock(std::span<const uint8_t> data);
void SerializeReportBlock(const ReportBlock& block, std::vector<uint8_t>& out);

struct ReceiverReport {
  uint32_t sender_ssrc = 0;
  // At most 31 are serialized; later ones are dropped.
  std::vector<ReportBlock> report_blocks;

  static std::optional<ReceiverReport> Parse(std::span<const uint8_t> packet);
  void Serialize(std::vector<uint8_t>& out) const;
  bool operator==(const ReceiverReport&) const = default;
};

// Round-trip time from a block another party sent about one of our streams (RFC 3550 6.4.1):
// now - LSR - DLSR, where now is the NTP wall-clock time the report arrived. Returns
// microseconds, -1 when the block carries no LSR (no SR received yet), and 0 when clock
// inconsistencies would make it negative.
int64_t RttFromReportBlock(const ReportBlock& block, NtpTime now);

}  // namespace tessera::rtp
