// Tracks missing RTP sequence numbers of one incoming stream and decides which to NACK
// (RFC 4585 generic NACK), with RTT-aware retries (after libwebrtc's NackRequester).
#pragma once

#include <tessera/rtp/seq_num_unwrapper.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace tessera::rtp {

// Runs on: the participant's network shard. Not thread-safe. Times are in microseconds of one
// monotonic timebase (Clock::NowUs()).
class NackTracker {
 public:
  struct Config {
    // NACKs sent per missing packet at most.
    int max_retries = 10;
    // Retry interval until UpdateRtt is called.
    int64_t default_rtt_us = 100'000;
    // More missing packets than this cannot be recovered by NACK: the list is cleared and a
    // keyframe is needed.
    size_t max_list = 500;
    // A missing packet is abandoned this long after its loss was detected.
    int64_t max_age_us = 1'000'000;
    // A missing packet is NACKed only once more than this many newer sequence numbers have
    // arrived (0: at once, as libwebrtc does), to let reordered packets arrive first.
    int reorder_window_packets = 0;
  };

  struct NackResult {
    // The missing list overflowed and was cleared: ask the sender for a keyframe.
    bool keyframe_needed = false;
  };

  struct Stats {
    uint64_t nacks_sent = 0;  // sequence numbers NACKed, retries included
    uint64_t recovered = 0;   // missing sequence numbers that arrived later
    uint64_t abandoned = 0;   // dropped from the list: retries exhausted, too old, or overflow
    uint64_t overflows = 0;   // times the list overflowed
  };

  explicit NackTracker(Config config);

  // Records the arrival of a packet (media or retransmission) at now_us.
  [[nodiscard]] NackResult OnPacket(uint16_t seq, int64_t now_us);
  // The sequence numbers to NACK now, oldest first: missing ones never NACKed, or last NACKed at
  // least one RTT ago. Marks them as sent.
  std::vector<uint16_t> GetNacksToSend(int64_t now_us);
  // Round-trip time estimate from RTCP (microseconds); values <= 0 are ignored.
  void UpdateRtt(int64_t rtt_us);
  // Stops NACKing sequence numbers before seq (for example, data the jitter buffer no longer
  // needs because a keyframe after it was decoded). Not counted as abandoned.
  void ClearUpTo(uint16_t seq);

  size_t missing_count() const { return missing_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  struct Missing {
    int64_t detected_us = 0;
    std::optional<int64_t> last_sent_us;
    int retries = 0;
  };

  const Config config_;
  int64_t rtt_us_;
  SeqNumUnwrapper unwrapper_;
  std::optional<int64_t> newest_;       // unwrapped, highest seen
  std::map<int64_t, Missing> missing_;  // by unwrapped sequence number
  Stats stats_;
};

}  // namespace tessera::rtp
