#include "loadgen/frame_matcher.h"

namespace tessera::loadgen {

FrameMatcher::FrameMatcher(size_t participants, uint32_t clip_frames)
    : participants_(participants) {
  for (auto& p : participants_) p.ring.resize(clip_frames);
}

void FrameMatcher::OnSent(size_t participant, uint32_t clip_index, int64_t send_us) {
  if (participant >= participants_.size()) return;
  Participant& p = participants_[participant];
  if (clip_index >= p.ring.size()) return;
  p.ring[clip_index] = {++p.sent, send_us};
}

FrameMatcher::Result FrameMatcher::OnComposite(int64_t arrival_us,
                                               std::span<const std::optional<uint32_t>> readings) {
  Result r;
  for (size_t i = 0; i < readings.size() && i < participants_.size(); ++i) {
    Participant& p = participants_[i];
    if (!readings[i]) {
      ++r.stats.unreadable;
      continue;
    }
    if (*readings[i] >= p.ring.size()) {
      ++r.stats.unmatched;
      continue;
    }
    const Send& s = p.ring[*readings[i]];
    if (s.ordinal == 0 || s.send_us > arrival_us) {
      ++r.stats.unmatched;
      continue;
    }
    if (s.ordinal == p.last_shown) {
      ++r.stats.repeated;
    } else if (s.ordinal < p.last_shown) {
      ++r.stats.backwards;
    } else {
      if (p.last_shown) r.stats.missed += s.ordinal - p.last_shown - 1;
      p.last_shown = s.ordinal;
      ++r.stats.shown;
      r.latencies_us.push_back(arrival_us - s.send_us);
      r.participants.push_back(i);
    }
  }
  return r;
}

uint64_t FrameMatcher::UnshownTail(size_t participant) const {
  const Participant& p = participants_[participant];
  return p.sent - p.last_shown;
}

}  // namespace tessera::loadgen
