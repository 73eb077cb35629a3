#include <tessera/rtp/receive_statistics.h>

#include <algorithm>
#include <cstdlib>

namespace tessera::rtp {
namespace {

constexpr int64_t kSeqMod = 1 << 16;
constexpr int64_t kUsPerSecond = 1'000'000;

// arrival_us on the stream's RTP clock, modulo 2^32. Split to avoid overflowing int64.
uint32_t ToRtpUnits(int64_t us, uint32_t clock_rate) {
  const int64_t secs = us / kUsPerSecond;
  const int64_t rem = us % kUsPerSecond;
  return static_cast<uint32_t>(secs * clock_rate + rem * clock_rate / kUsPerSecond);
}

}  // namespace

ReceiveStatistics::ReceiveStatistics(uint32_t ssrc, uint32_t clock_rate, Clock& clock)
    : ssrc_(ssrc), clock_rate_(clock_rate == 0 ? 1 : clock_rate), clock_(clock) {}

ReceivedPacketKind ReceiveStatistics::OnPacket(uint16_t seq, uint32_t rtp_timestamp,
                                               int64_t arrival_us) {
  if (!started_) {
    started_ = true;
    Reset(seq);
    MarkSeen(seq);
    received_ = 1;
    UpdateJitter(rtp_timestamp, arrival_us);
    return ReceivedPacketKind::kFirst;
  }
  const auto udelta = static_cast<uint16_t>(seq - static_cast<uint16_t>(max_seq_));
  if (udelta == 0) {
    ++duplicates_;
    return ReceivedPacketKind::kDuplicate;
  }
  if (udelta < kMaxDropout) {
    // In order, possibly after a gap. Forget the history slots the new range reuses.
    const int64_t ext = max_seq_ + udelta;
    if (udelta >= kHistoryBits) {
      seen_.fill(0);
    } else {
      for (int64_t s = max_seq_ + 1; s < ext; ++s) ClearSeen(s);
    }
    max_seq_ = ext;
    MarkSeen(ext);
    ++received_;
    bad_seq_.reset();
    UpdateJitter(rtp_timestamp, arrival_us);
    return ReceivedPacketKind::kInOrder;
  }
  if (udelta <= kSeqMod - kMaxMisorder) {
    // A large jump: the sender may have restarted. Believe it when the next packet follows on.
    if (bad_seq_ && seq == *bad_seq_) {
      ++restarts_;
      const int64_t ext = max_seq_ + udelta;
      Reset(ext - 1);
      max_seq_ = ext;
      MarkSeen(ext - 1);
      MarkSeen(ext);
      received_ = 2;
      UpdateJitter(rtp_timestamp, arrival_us);
      return ReceivedPacketKind::kFirst;
    }
    bad_seq_ = static_cast<uint16_t>(seq + 1);
    return ReceivedPacketKind::kJump;
  }
  // Up to kMaxMisorder behind the highest: late or duplicated.
  const int64_t ext = max_seq_ - (kSeqMod - udelta);
  if (ext >= base_seq_ && Seen(ext)) {
    ++duplicates_;
    return ReceivedPacketKind::kDuplicate;
  }
  // A packet older than the first one received widens the expected range instead of making loss
  // negative.
  base_seq_ = std::min(base_seq_, ext);
  MarkSeen(ext);
  ++received_;
  ++reordered_;
  return ReceivedPacketKind::kReordered;
}

void ReceiveStatistics::OnSenderReport(uint32_t ntp_compact, int64_t arrival_us) {
  last_sr_ntp_ = ntp_compact;
  last_sr_arrival_us_ = arrival_us;
}

ReportBlock ReceiveStatistics::BuildReportBlock(int64_t now_us) {
  ReportBlock block;
  block.ssrc = ssrc_;
  if (!started_) return block;
  const int64_t expected = max_seq_ - base_seq_ + 1;
  const int64_t lost = packets_lost();
  block.cumulative_lost = static_cast<int32_t>(std::min<int64_t>(lost, 0x7FFFFF));
  // A.3: the fraction covers only the interval since the previous report.
  const int64_t expected_interval = expected - expected_prior_;
  const int64_t received_interval = static_cast<int64_t>(received_ - received_prior_);
  const int64_t lost_interval = expected_interval - received_interval;
  if (expected_interval > 0 && lost_interval > 0) {
    block.fraction_lost =
        static_cast<uint8_t>(std::min<int64_t>((lost_interval << 8) / expected_interval, 255));
  }
  expected_prior_ = expected;
  received_prior_ = received_;
  block.extended_highest_seq = extended_highest_seq();
  block.jitter = static_cast<uint32_t>(jitter_);
  if (last_sr_ntp_ != 0) {
    block.lsr = last_sr_ntp_;
    const int64_t delay_us = std::max<int64_t>(now_us - last_sr_arrival_us_, 0);
    block.dlsr = static_cast<uint32_t>((delay_us << 16) / kUsPerSecond);
  }
  return block;
}

int64_t ReceiveStatistics::packets_lost() const {
  if (!started_) return 0;
  return std::max<int64_t>(max_seq_ - base_seq_ + 1 - static_cast<int64_t>(received_), 0);
}

uint32_t ReceiveStatistics::extended_highest_seq() const {
  return started_ ? static_cast<uint32_t>(max_seq_) : 0;
}

void ReceiveStatistics::Reset(int64_t extended_seq) {
  base_seq_ = extended_seq;
  max_seq_ = extended_seq;
  bad_seq_.reset();
  received_ = 0;
  seen_.fill(0);
  last_transit_.reset();
  expected_prior_ = 0;
  received_prior_ = 0;
}

void ReceiveStatistics::UpdateJitter(uint32_t rtp_timestamp, int64_t arrival_us) {
  // RFC 3550 A.8, in RTP timestamp units. Only packets that advance the sequence get here: a
  // retransmitted or reordered packet's transit says nothing about network jitter.
  const uint32_t transit = ToRtpUnits(arrival_us, clock_rate_) - rtp_timestamp;
  if (last_transit_) {
    const int32_t d = static_cast<int32_t>(transit - *last_transit_);
    jitter_ += (std::abs(static_cast<double>(d)) - jitter_) / 16.0;
  }
  last_transit_ = transit;
}

// Extended sequence numbers may be negative (reordered before the first packet); the unsigned
// cast keeps the slot mapping consistent because kHistoryBits divides 2^64.
bool ReceiveStatistics::Seen(int64_t extended_seq) const {
  const auto bit = static_cast<uint64_t>(extended_seq) % kHistoryBits;
  return seen_[bit / 64] & (uint64_t{1} << (bit % 64));
}

void ReceiveStatistics::MarkSeen(int64_t extended_seq) {
  const auto bit = static_cast<uint64_t>(extended_seq) % kHistoryBits;
  seen_[bit / 64] |= uint64_t{1} << (bit % 64);
}

void ReceiveStatistics::ClearSeen(int64_t extended_seq) {
  const auto bit = static_cast<uint64_t>(extended_seq) % kHistoryBits;
  seen_[bit / 64] &= ~(uint64_t{1} << (bit % 64));
}

}  // namespace tessera::rtp
