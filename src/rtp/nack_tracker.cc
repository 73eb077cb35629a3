#include <tessera/rtp/nack_tracker.h>

namespace tessera::rtp {

NackTracker::NackTracker(Config config) : config_(config), rtt_us_(config.default_rtt_us) {}

NackTracker::NackResult NackTracker::OnPacket(uint16_t seq, int64_t now_us) {
  NackResult result;
  const int64_t unwrapped = unwrapper_.Unwrap(seq);
  if (!newest_) {
    newest_ = unwrapped;
    return result;
  }
  if (unwrapped <= *newest_) {
    if (missing_.erase(unwrapped) > 0) ++stats_.recovered;
    return result;
  }
  // Checked before adding, so that a huge jump does not fill the list one entry at a time.
  const auto gap = static_cast<uint64_t>(unwrapped - *newest_ - 1);
  if (missing_.size() + gap > config_.max_list) {
    stats_.abandoned += missing_.size() + gap;
    ++stats_.overflows;
    missing_.clear();
    result.keyframe_needed = true;
  } else {
    Missing entry;
    entry.detected_us = now_us;
    for (int64_t s = *newest_ + 1; s < unwrapped; ++s) missing_.emplace(s, entry);
  }
  newest_ = unwrapped;
  return result;
}

std::vector<uint16_t> NackTracker::GetNacksToSend(int64_t now_us) {
  std::vector<uint16_t> out;
  for (auto it = missing_.begin(); it != missing_.end();) {
    Missing& m = it->second;
    if (now_us - m.detected_us >= config_.max_age_us) {
      ++stats_.abandoned;
      it = missing_.erase(it);
      continue;
    }
    const bool due = !m.last_sent_us || now_us - *m.last_sent_us >= rtt_us_;
    if (due && m.retries >= config_.max_retries) {
      // The last NACK had a full RTT to be answered.
      ++stats_.abandoned;
      it = missing_.erase(it);
      continue;
    }
    if (due && *newest_ - it->first > config_.reorder_window_packets) {
      m.last_sent_us = now_us;
      ++m.retries;
      ++stats_.nacks_sent;
      out.push_back(static_cast<uint16_t>(it->first));
    }
    ++it;
  }
  return out;
}

void NackTracker::UpdateRtt(int64_t rtt_us) {
  if (rtt_us > 0) rtt_us_ = rtt_us;
}

void NackTracker::ClearUpTo(uint16_t seq) {
  if (!newest_) return;
  // Unwrapped next to the newest packet, without moving the unwrapper.
  const int64_t unwrapped =
      *newest_ + static_cast<int16_t>(static_cast<uint16_t>(seq - static_cast<uint16_t>(*newest_)));
  missing_.erase(missing_.begin(), missing_.lower_bound(unwrapped));
}

}  // namespace tessera::rtp
