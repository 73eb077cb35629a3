// The RTP sender of one outgoing stream to one recipient: its own SSRC, sequence numbers and RTP
// timestamps, a retransmission history for NACKs, and sender reports.
#pragma once

#include <tessera/base/clock.h>
#include <tessera/rtp/rtcp/bye.h>
#include <tessera/rtp/rtcp/sdes.h>
#include <tessera/rtp/rtcp/sender_report.h>
#include <tessera/rtp/rtp_packet.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tessera::rtp {

// The same encoded payloads go to many recipients; each RtpSender stamps them with this
// recipient's SSRC, a continuous sequence number and a continuous RTP timestamp, so the stream a
// recipient sees never jumps when the mixer switches what it sends (source_id).
// Runs on: the recipient's network shard (not thread-safe).
class RtpSender {
 public:
  struct Config {
    uint32_t ssrc = 0;
    uint8_t payload_type = 0;
    uint32_t clock_rate = 90000;  // Hz, of both source and outgoing timestamps
    size_t history_size = 512;    // packets kept for retransmission (at most 32768)
    int64_t max_history_age_ms = 1000;
    std::string cname;
    // First sequence number and RTP timestamp; random when unset (RFC 3550 5.1).
    std::optional<uint16_t> initial_sequence;
    std::optional<uint32_t> initial_timestamp;
  };

  // clock: NowUs() timestamps sends, for history ageing and timestamp continuity.
  RtpSender(Config config, Clock& clock);

  // Builds the next packet. source_timestamp is the payload's RTP timestamp on the clock of the
  // source identified by source_id (same clock rate). While source_id stays the same, outgoing
  // timestamps follow source timestamps at a fixed offset. When it changes (and for the first
  // packet) a new offset is chosen so the first outgoing timestamp of the new source is the last
  // one plus the wall time elapsed since that timestamp's time (at least 1 tick). The packet is
  // stored in the history and counted.
  // source_time_us: the Clock::NowUs() instant the timestamp stands for, when the source knows it
  // (a mixer's frame slot, which a late tick sends after its time); unset: now, the time it is
  // sent. Sender reports and source switches count from it.
  [[nodiscard]] RtpPacket Send(std::span<const uint8_t> payload, uint32_t source_timestamp,
                               bool marker, uint32_t source_id,
                               std::span<const ExtensionElement> ext = {},
                               std::optional<int64_t> source_time_us = std::nullopt);

  // Packets to resend, byte-identical to the original, for the requested sequence numbers.
  // Skips those no longer (or never) in the history, older than max_history_age_ms, or already
  // resent less than RTT/2 ago. now_us: Clock::NowUs() timebase.
  [[nodiscard]] std::vector<RtpPacket> OnNack(std::span<const uint16_t> seqs, int64_t now_us);

  // Round-trip time to the recipient, e.g. from RttFromReportBlock. Default 100 ms.
  void UpdateRtt(int64_t rtt_us);

  // An SR for this stream: now_ntp is wall-clock time, now_us the same instant on Clock::NowUs();
  // the RTP timestamp is the last sent one advanced by the time since its time (source_time_us,
  // else when it was first sent). Counts cover original packets only, not retransmissions.
  SenderReport BuildSenderReport(NtpTime now_ntp, int64_t now_us) const;
  Sdes BuildSdes() const { return Sdes::WithCname(config_.ssrc, config_.cname); }
  Bye BuildBye(std::string reason = {}) const { return Bye{{config_.ssrc}, std::move(reason)}; }

  uint32_t ssrc() const { return config_.ssrc; }
  uint32_t last_timestamp() const { return last_timestamp_; }
  uint64_t packets_sent() const { return packets_sent_; }
  uint64_t payload_octets_sent() const { return payload_octets_sent_; }
  uint64_t packets_retransmitted() const { return packets_retransmitted_; }
  size_t history_packets() const { return history_.size(); }

 private:
  struct StoredPacket {
    RtpPacket packet;
    int64_t sent_us = 0;
    std::optional<int64_t> resent_us;
  };

  void ExpireHistory(int64_t now_us);
  StoredPacket* FindInHistory(uint16_t seq);

  Config config_;
  Clock& clock_;
  int64_t rtt_us_ = 100'000;

  uint16_t next_sequence_;
  std::optional<uint32_t> source_id_;
  uint32_t timestamp_offset_ = 0;  // outgoing = source + offset, modulo 2^32
  uint32_t last_timestamp_;        // latest outgoing RTP timestamp
  int64_t last_timestamp_us_;      // its time: its source time, else when it was first sent

  // Consecutive sequence numbers, oldest first.
  std::deque<StoredPacket> history_;

  uint64_t packets_sent_ = 0;
  uint64_t payload_octets_sent_ = 0;
  uint64_t packets_retransmitted_ = 0;
};

}  // namespace tessera::rtp
