#include "loadgen/stream_counter.h"

#include <algorithm>

namespace tessera::loadgen {

void StreamCounter::OnPacket(const rtp::RtpPacket& packet) {
  if (ssrc_ && *ssrc_ != packet.ssrc()) {
    // A new stream: what the old one lost stays counted, the new one starts its own count.
    const ReceivedStats s = stats();
    lost_before_ = s.lost;
    expected_before_ = s.expected;
    seq_ = {};
    ts_ = {};
    last_frame_ts_.reset();
    received_ = 0;
    ++stats_.ssrc_changes;
  }
  const bool first = !ssrc_ || *ssrc_ != packet.ssrc();
  ssrc_ = packet.ssrc();
  const int64_t seq = seq_.Unwrap(packet.sequence_number());
  if (first) {
    first_seq_ = highest_seq_ = seq;
  } else {
    first_seq_ = std::min(first_seq_, seq);
    highest_seq_ = std::max(highest_seq_, seq);
  }
  ++received_;
  ++stats_.packets;
  stats_.bytes += packet.size();
  if (!packet.marker()) return;
  ++stats_.frames;
  const int64_t ts = ts_.Unwrap(packet.timestamp());
  if (interval_ && last_frame_ts_ && ts > *last_frame_ts_) {
    const int64_t steps = (ts - *last_frame_ts_ + interval_ / 2) / interval_;
    if (steps >= 2) stats_.missing_intervals += static_cast<uint64_t>(steps - 1);
  }
  if (!last_frame_ts_ || ts > *last_frame_ts_) last_frame_ts_ = ts;
}

ReceivedStats StreamCounter::stats() const {
  ReceivedStats s = stats_;
  const uint64_t expected = ssrc_ ? static_cast<uint64_t>(highest_seq_ - first_seq_ + 1) : 0;
  s.expected = expected_before_ + expected;
  s.lost = lost_before_ + (expected > received_ ? expected - received_ : 0);
  return s;
}

}  // namespace tessera::loadgen
