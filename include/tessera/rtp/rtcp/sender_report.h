// RTCP sender report (RFC 3550 6.4.1).
#pragma once

#include <tessera/base/clock.h>
#include <tessera/rtp/rtcp/receiver_report.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tessera::rtp {

struct SenderReport {
  uint32_t sender_ssrc = 0;
  NtpTime ntp;                 // wall-clock time this report was built
  uint32_t rtp_timestamp = 0;  // the same instant on the stream's RTP clock
  uint32_t packet_count = 0;   // RTP packets sent since the stream started
  uint32_t octet_count = 0;    // payload octets sent (no headers, no padding)
  // At most 31 are serialized; later ones are dropped.
  std::vector<ReportBlock> report_blocks;

  static std::optional<SenderReport> Parse(std::span<const uint8_t> packet);
  void Serialize(std::vector<uint8_t>& out) const;
  bool operator==(const SenderReport& o) const {
    return sender_ssrc == o.sender_ssrc && ntp.ToU64() == o.ntp.ToU64() &&
           rtp_timestamp == o.rtp_timestamp && packet_count == o.packet_count &&
           octet_count == o.octet_count && report_blocks == o.report_blocks;
  }
};

}  // namespace tessera::rtp
