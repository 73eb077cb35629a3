#include <tessera/mixer/dominant_speaker.h>

#include <algorithm>

namespace tessera::mixer {

DominantSpeakerDetector::DominantSpeakerDetector(DominantSpeakerConfig config) : config_(config) {}

DominantSpeakerDetector::Score DominantSpeakerDetector::ScoreOf(const Activity& a) const {
  Score s;
  if (a.voiced.empty() || ticks_.empty()) return s;
  s.fraction = static_cast<double>(a.voiced.size()) / static_cast<double>(ticks_.size());
  s.mean_level = static_cast<double>(a.level_sum) / static_cast<double>(a.voiced.size());
  return s;
}

bool DominantSpeakerDetector::Beats(const Score& challenger, const Score& holder) const {
  if (challenger.fraction < config_.min_voiced_fraction) return false;
  if (challenger.fraction >= holder.fraction + config_.fraction_margin) return true;
  return challenger.fraction >= holder.fraction &&
         challenger.mean_level + config_.level_margin_db <= holder.mean_level;
}

std::optional<uint32_t> DominantSpeakerDetector::Update(
    std::span<const std::pair<uint32_t, uint8_t>> id_levels, int64_t now_us) {
  TESSERA_DCHECK_RUN_ON(room_strand_);
  const int64_t window_us = config_.window_ms * 1000;
  const int64_t oldest_kept = now_us - window_us;  // ticks at or before this have left the window
  if (!first_tick_us_) first_tick_us_ = now_us;
  ticks_.push_back(now_us);
  while (!ticks_.empty() && ticks_.front() <= oldest_kept) ticks_.pop_front();

  for (const auto& [id, level] : id_levels) {
    if (level > config_.vad_threshold_dbov) continue;
    Activity& a = activity_[id];
    if (!a.voiced.empty() && a.voiced.back().first == now_us) continue;  // duplicate id
    a.voiced.emplace_back(now_us, level);
    a.level_sum += level;
  }
  for (auto it = activity_.begin(); it != activity_.end();) {
    Activity& a = it->second;
    while (!a.voiced.empty() && a.voiced.front().first <= oldest_kept) {
      a.level_sum -= a.voiced.front().second;
      a.voiced.pop_front();
    }
    it = a.voiced.empty() ? activity_.erase(it) : std::next(it);
  }

  // Fractions mean little until the history covers a whole window.
  if (now_us - *first_tick_us_ < window_us) return std::nullopt;
  if (current_ && last_change_us_ && now_us - *last_change_us_ < config_.min_hold_ms * 1000) {
    return std::nullopt;
  }

  Score holder;  // no current speaker: an empty score, beaten by anyone active enough
  if (current_) {
    auto it = activity_.find(*current_);
    if (it != activity_.end()) holder = ScoreOf(it->second);
  }
  std::optional<uint32_t> best;
  Score best_score;
  for (const auto& [id, a] : activity_) {
    if (current_ && id == *current_) continue;
    const Score s = ScoreOf(a);
    if (!Beats(s, holder)) continue;
    const bool better = !best || s.fraction > best_score.fraction ||
                        (s.fraction == best_score.fraction &&
                         (s.mean_level < best_score.mean_level ||
                          (s.mean_level == best_score.mean_level && id < *best)));
    if (better) {
      best = id;
      best_score = s;
    }
  }
  if (!best) return std::nullopt;
  current_ = best;
  last_change_us_ = now_us;
  return best;
}

}  // namespace tessera::mixer
