// What a publishing browser is told it may send (REMB, draft-alvestrand-rmcat-remb): a receiver
// estimate from the loss its stream shows, under a cap (what the room can use of it). Without
// it a browser keeps its own start rate and, on a poor link, floods it until its loss-based
// controller reacts; with it the browser lowers its rate when Tessera sees loss and never sends
// more than the room needs.
//
// Each interval: loss above 10 % brings the estimate down to what arrived, less half the loss;
// loss under 2 % lets it climb 8 % (and 1 kbit/s) an interval back up to the cap; in between it
// holds (the thresholds of the loss-based half of Google's congestion control, mirrored).
#pragma once

#include <cstdint>
#include <optional>

namespace tessera::rtp {

class RembEstimator {
 public:
  struct Config {
    int64_t max_bps = 1'500'000;
    int64_t min_bps = 100'000;
    int64_t interval_us = 1'000'000;
  };

  explicit RembEstimator(const Config& config);

  // The stream's cumulative counters now (RFC 3550 A.3: extended highest sequence number and
  // packets lost; bytes received). The estimate to send when an interval has passed since the
  // last one (the first call answers at once: the cap), else nullopt.
  std::optional<int64_t> Update(int64_t now_us, int64_t extended_highest_seq, int64_t packets_lost,
                                uint64_t bytes);

  int64_t estimate_bps() const { return estimate_bps_; }

 private:
  Config config_;
  int64_t estimate_bps_;
  bool started_ = false;
  int64_t last_us_ = 0;
  int64_t last_seq_ = 0;
  int64_t last_lost_ = 0;
  uint64_t last_bytes_ = 0;
};

}  // namespace tessera::rtp
