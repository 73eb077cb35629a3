#include <tessera/rtp/remb_estimator.h>

#include <algorithm>

namespace tessera::rtp {

RembEstimator::RembEstimator(const Config& config)
    : config_(config), estimate_bps_(std::max(config.max_bps, config.min_bps)) {}

std::optional<int64_t> RembEstimator::Update(int64_t now_us, int64_t extended_highest_seq,
                                             int64_t packets_lost, uint64_t bytes) {
  auto start_interval = [&] {
    last_us_ = now_us;
    last_seq_ = extended_highest_seq;
    last_lost_ = packets_lost;
    last_bytes_ = bytes;
  };
  if (!started_) {
    started_ = true;
    start_interval();
    return estimate_bps_;
  }
  const int64_t elapsed_us = now_us - last_us_;
  if (elapsed_us < config_.interval_us) return std::nullopt;
  if (extended_highest_seq < last_seq_ || bytes < last_bytes_) {
    // A new stream (the sender restarted): its counters start over, and so does the interval.
    start_interval();
    return estimate_bps_;
  }
  const int64_t expected = extended_highest_seq - last_seq_;
  const int64_t lost = std::max<int64_t>(packets_lost - last_lost_, 0);
  const double loss = expected > 0 ? std::min(1.0, static_cast<double>(lost) / expected) : 0.0;
  const double incoming_bps =
      static_cast<double>(bytes - last_bytes_) * 8.0 * 1e6 / static_cast<double>(elapsed_us);
  if (loss > 0.10) {
    const auto lowered = static_cast<int64_t>(incoming_bps * (1.0 - 0.5 * loss));
    estimate_bps_ = std::min(estimate_bps_, lowered);
  } else if (loss < 0.02) {
    estimate_bps_ = static_cast<int64_t>(static_cast<double>(estimate_bps_) * 1.08) + 1000;
  }
  estimate_bps_ =
      std::clamp(estimate_bps_, config_.min_bps, std::max(config_.max_bps, config_.min_bps));
  start_interval();
  return estimate_bps_;
}

}  // namespace tessera::rtp
