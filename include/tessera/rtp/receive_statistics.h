// Reception statistics for one incoming media stream (RFC 3550 6.4.1, A.1, A.3, A.8), the source
// of the report blocks we send about it.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/rtp/rtcp/receiver_report.h>

#include <array>
#include <cstdint>
#include <optional>

namespace tessera::rtp {

// How OnPacket classified a packet.
enum class ReceivedPacketKind : uint8_t {
  kFirst,      // the first packet, or the one that confirmed a restart
  kInOrder,    // newer than every packet so far (gaps allowed)
  kReordered,  // older than the highest, not seen before
  kDuplicate,  // already received; not counted as received
  kJump,       // a large sequence jump, held on probation; not counted until confirmed
};

// Per media SSRC. Sequence numbers are unwrapped across wrap-around; a jump of more than
// kMaxDropout ahead (or more than kMaxMisorder behind) is taken as a sender restart once the next
// packet follows it in sequence, and statistics start over from there (RFC 3550 A.1, without the
// initial probation). Duplicates and reordered packets never count as loss.
// Runs on: the participant's network shard (not thread-safe).
class ReceiveStatistics {
 public:
  static constexpr uint16_t kMaxDropout = 3000;
  static constexpr uint16_t kMaxMisorder = 100;

  // clock_rate: the stream's RTP clock in Hz. clock supplies now for the overloads without time.
  ReceiveStatistics(uint32_t ssrc, uint32_t clock_rate, Clock& clock);

  // arrival_us: Clock::NowUs() timebase.
  ReceivedPacketKind OnPacket(uint16_t seq, uint32_t rtp_timestamp, int64_t arrival_us);
  ReceivedPacketKind OnPacket(uint16_t seq, uint32_t rtp_timestamp) {
    return OnPacket(seq, rtp_timestamp, clock_.NowUs());
  }
  // ntp_compact: the middle 32 bits of the SR's NTP timestamp (NtpTime::Compact()).
  void OnSenderReport(uint32_t ntp_compact, int64_t arrival_us);

  // A block about this stream as of now_us (Clock::NowUs() timebase). fraction_lost covers the
  // interval since the previous call, so call it once per report sent. Before any packet the
  // block has only the SSRC set.
  ReportBlock BuildReportBlock(int64_t now_us);
  ReportBlock BuildReportBlock() { return BuildReportBlock(clock_.NowUs()); }

  uint32_t ssrc() const { return ssrc_; }
  // Distinct packets received since the start (or the last restart).
  uint64_t packets_received() const { return received_; }
  // Expected minus received, never counting duplicates; stays >= 0.
  int64_t packets_lost() const;
  uint64_t duplicates() const { return duplicates_; }
  uint64_t reordered() const { return reordered_; }
  uint64_t restarts() const { return restarts_; }
  // Extended highest sequence number (cycles << 16 | seq); 0 before any packet.
  uint32_t extended_highest_seq() const;
  // Interarrival jitter in RTP timestamp units and in milliseconds.
  double jitter() const { return jitter_; }
  double jitter_ms() const { return jitter_ * 1000.0 / clock_rate_; }

 private:
  static constexpr int kHistoryBits = 1024;  // > kMaxMisorder: enough to spot duplicates

  void Reset(int64_t extended_seq);
  void UpdateJitter(uint32_t rtp_timestamp, int64_t arrival_us);
  bool Seen(int64_t extended_seq) const;
  void MarkSeen(int64_t extended_seq);
  void ClearSeen(int64_t extended_seq);

  uint32_t ssrc_;
  uint32_t clock_rate_;
  Clock& clock_;

  bool started_ = false;
  int64_t base_seq_ = 0;             // extended; the first packet of the current run
  int64_t max_seq_ = 0;              // extended; the highest seen
  std::optional<uint16_t> bad_seq_;  // a restart is confirmed when this one arrives next
  uint64_t received_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t reordered_ = 0;
  uint64_t restarts_ = 0;
  std::array<uint64_t, kHistoryBits / 64> seen_{};  // bit (seq % kHistoryBits): received

  // A.8: jitter estimate in timestamp units; transit of the previous in-order packet.
  double jitter_ = 0;
  std::optional<uint32_t> last_transit_;

  // A.3: values at the previous BuildReportBlock.
  int64_t expected_prior_ = 0;
  uint64_t received_prior_ = 0;

  uint32_t last_sr_ntp_ = 0;
  int64_t last_sr_arrival_us_ = 0;
};

}  // namespace tessera::rtp
