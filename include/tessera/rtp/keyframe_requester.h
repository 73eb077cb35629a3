// Decides when and how to ask a sender for a keyframe: RTCP PLI (RFC 4585) first, escalating to
// FIR (RFC 5104) when PLIs go unanswered, and never more often than a minimum interval.
#pragma once

#include <cstdint>
#include <optional>

namespace tessera::rtp {

struct KeyframeRequest {
  enum class Kind : uint8_t { kPli, kFir };
  Kind kind = Kind::kPli;
  // FIR command sequence number (RFC 5104 4.3.1.1); 0 for PLI.
  uint8_t fir_seq = 0;
};

// Runs on: the participant's network shard. Not thread-safe. Times are microseconds of one
// monotonic timebase (Clock::NowUs()).
class KeyframeRequester {
 public:
  struct Config {
    // No two requests closer than this.
    int64_t min_interval_us = 500'000;
    // What the sender negotiated (a=rtcp-fb nack pli / ccm fir).
    bool pli_supported = true;
    bool fir_supported = true;
    // PLIs sent without a keyframe in between before switching to FIR (when FIR is supported).
    int pli_attempts_before_fir = 2;
  };

  struct Stats {
    uint64_t plis_sent = 0;
    uint64_t firs_sent = 0;
    uint64_t throttled = 0;    // requests refused by min_interval_us
    uint64_t unsupported = 0;  // requests refused because neither PLI nor FIR is supported
  };

  explicit KeyframeRequester(Config config) : config_(config) {}

  // The request to send now, or nullopt when throttled or nothing is supported. Each new FIR
  // gets the next sequence number.
  std::optional<KeyframeRequest> Request(int64_t now_us);
  // A keyframe arrived: the next request starts again with PLI.
  void OnKeyframeReceived() { unanswered_plis_ = 0; }

  const Stats& stats() const { return stats_; }

 private:
  const Config config_;
  std::optional<int64_t> last_request_us_;
  int unanswered_plis_ = 0;
  uint8_t next_fir_seq_ = 0;
  Stats stats_;
};

}  // namespace tessera::rtp
