// What arrived of one received RTP stream (a composite, a room's audio mix): packets, bytes,
// frames, packets lost by sequence number, and frame intervals missing by RTP timestamp (a room
// that skips a tick leaves a gap of two intervals in its composite's timestamps).
#pragma once

#include <tessera/rtp/rtp_packet.h>
#include <tessera/rtp/seq_num_unwrapper.h>

#include <cstdint>
#include <optional>

namespace tessera::loadgen {

struct ReceivedStats {
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t frames = 0;  // packets with the marker bit (video: one per frame)
  // Sequence numbers between the first and the highest seen, less those received (never below 0;
  // a duplicate or a retransmission can make up for a loss).
  uint64_t lost = 0;
  uint64_t expected = 0;
  // Frame intervals without a frame: a timestamp step of k intervals (k >= 2, rounded) counts
  // k - 1.
  uint64_t missing_intervals = 0;
  uint64_t ssrc_changes = 0;
};

// Runs on: the network thread that receives the stream (not thread-safe).
class StreamCounter {
 public:
  // frame_interval_ts: the RTP timestamp step between frames (3000 for 30 fps video); 0 turns
  // gap counting off (audio).
  explicit StreamCounter(uint32_t frame_interval_ts = 0) : interval_(frame_interval_ts) {}

  void OnPacket(const rtp::RtpPacket& packet);
  ReceivedStats stats() const;

 private:
  uint32_t interval_;
  std::optional<uint32_t> ssrc_;
  rtp::SeqNumUnwrapper seq_;
  int64_t first_seq_ = 0;
  int64_t highest_seq_ = 0;
  uint64_t received_ = 0;     // since the last SSRC change
  uint64_t lost_before_ = 0;  // from earlier SSRCs
  uint64_t expected_before_ = 0;
  rtp::TimestampUnwrapper ts_;
  std::optional<int64_t> last_frame_ts_;
  ReceivedStats stats_;
};

}  // namespace tessera::loadgen
